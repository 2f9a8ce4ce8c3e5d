/*
 * Functions we never call (after git's banned.h): unbounded copies, hidden
 * global state and unchecked number parsing. Include last in a .c file.
 */
#ifndef MC_BANNED_H
#define MC_BANNED_H

#define MC_BANNED(func) sorry_##func##_is_banned_in_micro

#undef strcpy
#define strcpy(x, y) MC_BANNED(strcpy)
#undef strcat
#define strcat(x, y) MC_BANNED(strcat)
#undef sprintf
#define sprintf(...) MC_BANNED(sprintf)
#undef strtok
#define strtok(x, y) MC_BANNED(strtok)
#undef atoi
#define atoi(x) MC_BANNED(atoi)
#undef gmtime
#define gmtime(x) MC_BANNED(gmtime)
#undef localtime
#define localtime(x) MC_BANNED(localtime)

#endif
