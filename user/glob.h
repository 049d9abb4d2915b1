/* SPDX-License-Identifier: Apache-2.0 */
/*
 * glob.h - the `glob` and `iglob` operators: fnmatch(3) without flags (or
 * with FNM_CASEFOLD), as libsinsp's glob_match calls it, in linear time.
 *
 *   pattern := ( '*' | '?' | '[' bracket ']' | '\' char | char )*
 *   bracket := ('!' | '^')? ']'? ( class | char '-' char | char )*
 *   class   := '[:' name ':]'      (alnum alpha blank cntrl digit graph
 *                                   lower print punct space upper xdigit)
 *
 * '*' matches any bytes, '/' and a leading '.' included; bytes are bytes
 * (the C locale). A '[' without its ']' is an ordinary character.
 *
 * Rule patterns meet attacker-chosen paths and command lines: a matcher
 * that backtracks over every star (as a naive recursive one does on
 * "*a*a*a*a*b" against "aaaa...") takes time exponential in the number of
 * stars. This one retries only the most recent star, which is enough: a
 * later star absorbs whatever an earlier one would have. At most
 * (strlen(pattern) + 1) * (strlen(s) + 1) steps, whatever the input.
 */
#ifndef CW_GLOB_H
#define CW_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s matches pat; *steps (when not NULL) counts the work, for tests. */
bool glob_match(const char *pat, const char *s, bool icase, size_t *steps);

#endif /* CW_GLOB_H */
