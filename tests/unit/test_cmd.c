/*
 * Unit tests for the command engine (client/cmd.c): flag parsing rules of
 * cmd.h, lookup with aliases, and the urfave/cli help layouts, byte for byte
 * against spec/micro-v3-transcript.md's `micro services|store|config --help`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmd.h"

static int run_noop(struct mc_cli *cli, const struct mc_args *args)
{
    (void)cli;
    (void)args;
    return 0;
}

/* A small table shaped like upstream's: services, store (group), config (group). */
static const struct mc_flag read_flags[] = {
    {"database", "d", MC_FLAG_STRING, "micro", "database name", NULL},
    {"table", "t", MC_FLAG_STRING, "micro", "table name", "MC_TEST_TABLE"},
    {"limit", "l", MC_FLAG_INT, NULL, "limit results", NULL},
    {"verbose", "v", MC_FLAG_BOOL, NULL, "show verbose", NULL},
    {"metadata", NULL, MC_FLAG_STRINGS, NULL, "add metadata `KEY=VAL`", NULL},
    {0},
};
#define LEAF(var, nm, sum, mn, mx)                                                       \
    static const struct mc_cmd var = {.name = nm, .summary = sum, .run = run_noop,      \
                                      .min_args = mn, .max_args = mx}
LEAF(cmd_services, "services", "List services in the registry", 0, -1);
static const struct mc_cmd cmd_read = {.name = "read", .summary = "read a record from the store",
                                       .args_usage = "KEY", .flags = read_flags,
                                       .run = run_noop, .min_args = 1, .max_args = 2};
static const struct mc_cmd cmd_list = {.name = "list", .aliases = "ls,l",
                                       .summary = "list all keys from a store",
                                       .run = run_noop, .max_args = -1};
LEAF(cmd_write, "write", "write a record to the store", 0, -1);
LEAF(cmd_delete, "delete", "delete a key from the store", 0, -1);
LEAF(cmd_databases, "databases", "List all databases known to the store service", 0, -1);
LEAF(cmd_tables, "tables",
     "List all tables in the specified database known to the store service", 0, -1);
LEAF(cmd_snapshot, "snapshot", "Back up a store", 0, -1);
LEAF(cmd_sync, "sync", "Copy all records of one store into another store", 0, -1);
LEAF(cmd_restore, "restore", "restore a store snapshot", 0, -1);
static const struct mc_cmd *const store_subs[] = {
    &cmd_read, &cmd_list, &cmd_write, &cmd_delete, &cmd_databases, &cmd_tables,
    &cmd_snapshot, &cmd_sync, &cmd_restore, NULL};
static const struct mc_cmd cmd_store = {.name = "store",
                                        .summary = "Commands for accessing the store",
                                        .subs = store_subs, .max_args = -1};
LEAF(cmd_get, "get", "Get a value; micro config get key", 0, -1);
LEAF(cmd_set, "set", "Set a key-val; micro config set key val", 0, -1);
LEAF(cmd_del, "del", "Delete a value; micro config del key", 0, -1);
static const struct mc_cmd *const config_subs[] = {&cmd_get, &cmd_set, &cmd_del, NULL};
static const struct mc_cmd cmd_config = {.name = "config", .summary = "Manage configuration values",
                                         .subs = config_subs, .max_args = -1};
static const struct mc_cmd cmd_hidden = {.name = "__complete", .summary = "x", .run = run_noop,
                                         .hidden = true, .max_args = -1};
static const struct mc_cmd cmd_raw = {.name = "server", .summary = "Run the micro server",
                                      .run = run_noop, .max_args = -1, .raw_args = true};
static const struct mc_cmd *const root_subs[] = {&cmd_services, &cmd_store, &cmd_config,
                                                 &cmd_hidden, &cmd_raw, NULL};
static const struct mc_flag root_flags[] = {
    {"env", "e", MC_FLAG_STRING, NULL, "Set the environment to operate in", "MICRO_ENV"},
    {0},
};
static const struct mc_cmd root = {.name = "micro", .summary = "A framework",
                                   .flags = root_flags, .subs = root_subs, .max_args = -1};

/* Parses the words of a NULL-terminated list for cmd. */
static int parse(struct mc_args *a, const struct mc_cmd *cmd, char *err, const char *const *words)
{
    int n = 0;
    while (words[n])
        n++;
    return mc_args_parse(a, cmd, "micro store read", n, (char **)words, err, 256);
}

static void test_flags_after_arguments_and_forms(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *w[] = {"k", "-t", "users", "--database=db1", "--limit", "10", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 0);
    assert_int_equal(a.argc, 1);
    assert_string_equal(mc_args_arg(&a, 0), "k");
    assert_null(mc_args_arg(&a, 1));
    assert_string_equal(mc_args_str(&a, "table"), "users");
    assert_string_equal(mc_args_str(&a, "database"), "db1");
    assert_int_equal(mc_args_int(&a, "limit", -1), 10);
    assert_true(mc_args_isset(&a, "table"));
    assert_false(mc_args_bool(&a, "verbose"));
    mc_args_release(&a);

    /* the last value wins; -d=x and --d x are the same flag (Go's flag package) */
    const char *w2[] = {"-d=a", "--d", "b", "k", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w2), 0);
    assert_string_equal(mc_args_str(&a, "database"), "b");
    mc_args_release(&a);
}

static void test_defaults_and_unset(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    unsetenv("MC_TEST_TABLE");
    const char *w[] = {"k", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 0);
    assert_string_equal(mc_args_str(&a, "database"), "micro");
    assert_false(mc_args_isset(&a, "database"));
    assert_null(mc_args_str(&a, "limit"));
    assert_int_equal(mc_args_int(&a, "limit", 7), 7);
    const char *const *vals;
    assert_int_equal(mc_args_strings(&a, "metadata", &vals), 0);
    mc_args_release(&a);
}

static void test_bools(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    /* a bool takes no separate value: "k" stays an argument */
    const char *w[] = {"--verbose", "k", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 0);
    assert_true(mc_args_bool(&a, "verbose"));
    assert_int_equal(a.argc, 1);
    mc_args_release(&a);

    const char *w2[] = {"k", "-v=false", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w2), 0);
    assert_false(mc_args_bool(&a, "verbose"));
    assert_true(mc_args_isset(&a, "verbose"));
    mc_args_release(&a);

    const char *w3[] = {"k", "--verbose=maybe", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w3), -1);
    assert_string_equal(err, "invalid boolean value \"maybe\" for -verbose: parse error");
    mc_args_release(&a);
}

static void test_repeatable_strings_keep_order(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *w[] = {"--metadata", "a=1", "k", "--metadata=b=2", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 0);
    const char *const *vals;
    assert_int_equal(mc_args_strings(&a, "metadata", &vals), 2);
    assert_string_equal(vals[0], "a=1");
    assert_string_equal(vals[1], "b=2");
    mc_args_release(&a);
}

static void test_errors_use_go_flag_texts(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *w[] = {"k", "--limit", "ten", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), -1);
    assert_string_equal(err, "invalid value \"ten\" for flag -limit: parse error");
    mc_args_release(&a);

    const char *w2[] = {"k", "--nope=1", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w2), -1);
    assert_string_equal(err, "flag provided but not defined: -nope");
    mc_args_release(&a);

    const char *w4[] = {"k", "---x", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w4), -1);
    assert_string_equal(err, "bad flag syntax: ---x");
    mc_args_release(&a);

    const char *w3[] = {"k", "-t", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w3), -1);
    assert_string_equal(err, "flag needs an argument: -table");
    mc_args_release(&a);
}

static void test_double_dash_and_negative_numbers(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *w[] = {"-5", "--", "-t", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 0);
    assert_int_equal(a.argc, 2);
    assert_string_equal(mc_args_arg(&a, 0), "-5");
    assert_string_equal(mc_args_arg(&a, 1), "-t");
    assert_false(mc_args_isset(&a, "table"));
    mc_args_release(&a);

    const char *w2[] = {"-", "-0.5", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w2), 0);
    assert_int_equal(a.argc, 2);
    assert_string_equal(mc_args_arg(&a, 0), "-");
    mc_args_release(&a);
}

static void test_environment_variables(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    setenv("MC_TEST_TABLE", "from-env", 1);
    const char *w[] = {"k", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 0);
    assert_string_equal(mc_args_str(&a, "table"), "from-env");
    assert_true(mc_args_isset(&a, "table"));
    mc_args_release(&a);

    /* the command line beats the environment */
    const char *w2[] = {"k", "-t", "flag", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w2), 0);
    assert_string_equal(mc_args_str(&a, "table"), "flag");
    mc_args_release(&a);
    unsetenv("MC_TEST_TABLE");
}

static void test_argument_counts(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *none[] = {NULL};
    assert_int_equal(parse(&a, &cmd_read, err, none), -1);
    assert_string_equal(err, "micro store read needs at least 1 argument, got 0");
    mc_args_release(&a);
    const char *three[] = {"a", "b", "c", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, three), -1);
    assert_string_equal(err, "micro store read takes at most 2 arguments, got 3");
    mc_args_release(&a);
}

static void test_help_anywhere(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *w[] = {"k", "--help", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w), 1);
    mc_args_release(&a);
    /* -h wins even before the argument count is checked */
    const char *w2[] = {"-h", NULL};
    assert_int_equal(parse(&a, &cmd_read, err, w2), 1);
    mc_args_release(&a);
}

static void test_raw_args_are_not_parsed(void **state)
{
    (void)state;
    struct mc_args a;
    char err[256];
    const char *w[] = {"--api_address", ":0", "--help", "--", NULL};
    assert_int_equal(mc_args_parse(&a, &cmd_raw, "micro server", 4, (char **)w, err, 256), 0);
    assert_int_equal(a.argc, 4);
    assert_string_equal(mc_args_arg(&a, 2), "--help");
    assert_string_equal(mc_args_arg(&a, 3), "--");
    mc_args_release(&a);
}

static void test_find_walks_subcommands_and_aliases(void **state)
{
    (void)state;
    int consumed = -1;
    const char *w[] = {"store", "read", "k", "-t", "x"};
    assert_ptr_equal(mc_cmd_find(&root, 5, (char **)w, &consumed), &cmd_read);
    assert_int_equal(consumed, 2);
    const char *w2[] = {"store", "ls"};
    assert_ptr_equal(mc_cmd_find(&root, 2, (char **)w2, &consumed), &cmd_list);
    const char *w3[] = {"store", "l"};
    assert_ptr_equal(mc_cmd_find(&root, 2, (char **)w3, &consumed), &cmd_list);
    const char *w4[] = {"store", "nope"};
    assert_ptr_equal(mc_cmd_find(&root, 2, (char **)w4, &consumed), &cmd_store);
    assert_int_equal(consumed, 1);
    const char *w5[] = {"nosuchcmd"};
    assert_null(mc_cmd_find(&root, 1, (char **)w5, &consumed));
    assert_int_equal(consumed, 0);
    /* hidden commands are found, only left out of help */
    const char *w6[] = {"__complete"};
    assert_ptr_equal(mc_cmd_find(&root, 1, (char **)w6, &consumed), &cmd_hidden);
    /* a raw command keeps its words: "server help" is not a subcommand lookup */
    const char *w7[] = {"server", "help"};
    assert_ptr_equal(mc_cmd_find(&root, 2, (char **)w7, &consumed), &cmd_raw);
    assert_int_equal(consumed, 1);
}

static char *help_text(const struct mc_cmd *cmd, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    mc_cmd_print_help(f, cmd, path);
    fclose(f);
    return buf;
}

static void expect_help(const struct mc_cmd *cmd, const char *path, const char *want)
{
    char *got = help_text(cmd, path);
    assert_string_equal(got, want);
    free(got);
}

static void test_help_services_matches_transcript(void **state)
{
    (void)state;
    expect_help(&cmd_services, "micro services",
                "NAME:\n"
                "   micro services - List services in the registry\n"
                "\n"
                "USAGE:\n"
                "   micro services [command options] [arguments...]\n"
                "\n"
                "OPTIONS:\n"
                "   --help, -h  show help (default: false)\n"
                "   \n");
}

static void test_help_store_matches_transcript(void **state)
{
    (void)state;
    /* the transcript's store has read/list without aliases: a copy of the table */
    static const struct mc_cmd read_plain = {.name = "read", .summary = "read a record from the store",
                                             .run = run_noop, .max_args = -1};
    static const struct mc_cmd list_plain = {.name = "list", .summary = "list all keys from a store",
                                             .run = run_noop, .max_args = -1};
    static const struct mc_cmd *const plain_subs[] = {
        &read_plain, &list_plain, &cmd_write, &cmd_delete, &cmd_databases, &cmd_tables,
        &cmd_snapshot, &cmd_sync, &cmd_restore, NULL};
    static const struct mc_cmd store = {.name = "store", .summary = "Commands for accessing the store",
                                        .subs = plain_subs, .max_args = -1};
    expect_help(&store, "micro store",
                "NAME:\n"
                "   micro store - Commands for accessing the store\n"
                "\n"
                "USAGE:\n"
                "   micro store command [command options] [arguments...]\n"
                "\n"
                "COMMANDS:\n"
                "   read       read a record from the store\n"
                "   list       list all keys from a store\n"
                "   write      write a record to the store\n"
                "   delete     delete a key from the store\n"
                "   databases  List all databases known to the store service\n"
                "   tables     List all tables in the specified database known to the store service\n"
                "   snapshot   Back up a store\n"
                "   sync       Copy all records of one store into another store\n"
                "   restore    restore a store snapshot\n"
                "   help, h    Shows a list of commands or help for one command\n"
                "\n"
                "OPTIONS:\n"
                "   --help, -h  show help (default: false)\n"
                "   \n");
}

static void test_help_config_matches_transcript(void **state)
{
    (void)state;
    expect_help(&cmd_config, "micro config",
                "NAME:\n"
                "   micro config - Manage configuration values\n"
                "\n"
                "USAGE:\n"
                "   micro config command [command options] [arguments...]\n"
                "\n"
                "COMMANDS:\n"
                "   get      Get a value; micro config get key\n"
                "   set      Set a key-val; micro config set key val\n"
                "   del      Delete a value; micro config del key\n"
                "   help, h  Shows a list of commands or help for one command\n"
                "\n"
                "OPTIONS:\n"
                "   --help, -h  show help (default: false)\n"
                "   \n");
}

static void test_help_flag_lines_as_urfave(void **state)
{
    (void)state;
    setenv("MC_TEST_TABLE", "ignored by help", 1);
    expect_help(&cmd_read, "micro store read",
                "NAME:\n"
                "   micro store read - read a record from the store\n"
                "\n"
                "USAGE:\n"
                "   micro store read [command options] KEY\n"
                "\n"
                "OPTIONS:\n"
                "   --database value, -d value  database name (default: \"micro\")\n"
                "   --table value, -t value     table name (default: \"micro\") [$MC_TEST_TABLE]\n"
                "   --limit value, -l value     limit results (default: 0)\n"
                "   --verbose, -v               show verbose (default: false)\n"
                "   --metadata KEY=VAL          add metadata KEY=VAL\n"
                "   --help, -h                  show help (default: false)\n"
                "   \n");
    unsetenv("MC_TEST_TABLE");
}

static void test_help_aliases_and_description(void **state)
{
    (void)state;
    static const struct mc_cmd *const subs[] = {&cmd_list, NULL};
    static const struct mc_cmd group = {.name = "g", .summary = "short", .description = "Longer text",
                                        .subs = subs, .max_args = -1};
    expect_help(&group, "micro g",
                "NAME:\n"
                "   micro g - Longer text\n"
                "\n"
                "USAGE:\n"
                "   micro g command [command options] [arguments...]\n"
                "\n"
                "COMMANDS:\n"
                "   list, ls, l  list all keys from a store\n"
                "   help, h      Shows a list of commands or help for one command\n"
                "\n"
                "OPTIONS:\n"
                "   --help, -h  show help (default: false)\n"
                "   \n");
    static const struct mc_cmd leaf = {.name = "x", .summary = "does x", .description = "All about x.",
                                       .run = run_noop, .max_args = -1};
    expect_help(&leaf, "micro x",
                "NAME:\n"
                "   micro x - does x\n"
                "\n"
                "USAGE:\n"
                "   micro x [command options] [arguments...]\n"
                "\n"
                "DESCRIPTION:\n"
                "   All about x.\n"
                "\n"
                "OPTIONS:\n"
                "   --help, -h  show help (default: false)\n"
                "   \n");
}

static void test_help_root_as_urfave_app(void **state)
{
    (void)state;
    expect_help(&root, "micro",
                "NAME:\n"
                "   micro - A framework\n"
                "\n"
                "USAGE:\n"
                "   micro [global options] command [command options] [arguments...]\n"
                "\n"
                "VERSION:\n"
                "   " MICRO_VERSION "\n"
                "\n"
                "COMMANDS:\n"
                "   services  List services in the registry\n"
                "   store     Commands for accessing the store\n"
                "   config    Manage configuration values\n"
                "   server    Run the micro server\n"
                "   help, h   Shows a list of commands or help for one command\n"
                "\n"
                "GLOBAL OPTIONS:\n"
                "   --env value, -e value  Set the environment to operate in [$MICRO_ENV]\n"
                "   --help, -h             show help (default: false)\n"
                "   --version, -v          print the version (default: false)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags_after_arguments_and_forms),
        cmocka_unit_test(test_defaults_and_unset),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_repeatable_strings_keep_order),
        cmocka_unit_test(test_errors_use_go_flag_texts),
        cmocka_unit_test(test_double_dash_and_negative_numbers),
        cmocka_unit_test(test_environment_variables),
        cmocka_unit_test(test_argument_counts),
        cmocka_unit_test(test_help_anywhere),
        cmocka_unit_test(test_raw_args_are_not_parsed),
        cmocka_unit_test(test_find_walks_subcommands_and_aliases),
        cmocka_unit_test(test_help_services_matches_transcript),
        cmocka_unit_test(test_help_store_matches_transcript),
        cmocka_unit_test(test_help_config_matches_transcript),
        cmocka_unit_test(test_help_flag_lines_as_urfave),
        cmocka_unit_test(test_help_aliases_and_description),
        cmocka_unit_test(test_help_root_as_urfave_app),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
