/*
 * unit.h: the main of every check(1) unit test program.  Each
 * t/unit/test_MODULE.c defines a Suite *MODULE_suite(void) and ends with
 * UNIT_MAIN(MODULE_suite).  Results go to stdout as TAP, one line per test,
 * which t/run counts; check prints the plan 1..N after the last test, so a
 * program that dies before its end has no plan and t/run fails it.
 * check's default time limit per test is 4 s, too little on a loaded
 * machine (and under the sanitizers): the default here is 120 s, unless
 * CK_DEFAULT_TIMEOUT is set (tcase_set_timeout still overrides both).
 */
#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define UNIT_MAIN(suitefn)						\
int									\
main(void)								\
{									\
	SRunner *sr;							\
	int failed;							\
									\
	setenv("CK_DEFAULT_TIMEOUT", "120", 0);	/* before tcase_create */ \
	sr = srunner_create(suitefn());					\
	srunner_set_tap(sr, "-");					\
	srunner_run_all(sr, CK_SILENT);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? 0 : 1;					\
}

/* A scratch directory under $TMPDIR (static storage), and its removal. */
static inline char *
unit_tmpdir(void)
{
	static char path[4096];
	const char *t = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/postern-unit.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	return mkdtemp(path);
}

static inline void
unit_rm_rf(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "unit: could not remove %s\n", path);
}

#endif
