/* The Helloworld handler: Call and Stream (see proto/helloworld.proto). */
#ifndef HELLOWORLD_HANDLER_H
#define HELLOWORLD_HANDLER_H

#include <micro.h>

/* Binds Helloworld.Call and Helloworld.Stream to svc. 0 or a MICRO_E* code. */
int helloworld_register(struct micro_service *svc);

#endif
