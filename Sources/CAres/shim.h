#ifndef MAILFORM_CARES_SHIM_H
#define MAILFORM_CARES_SHIM_H

// c-ares (Debian libc-ares-dev 1.18.1) for MailformDNS.
//
// The flag and option macros are written as shifts, which Swift does not
// import reliably; they are re-exported here as typed constants so the
// Swift side never hard-codes c-ares's numbers.

#include <ares.h>

static const int mailform_ares_flag_edns = ARES_FLAG_EDNS;
static const int mailform_ares_flag_nocheckresp = ARES_FLAG_NOCHECKRESP;
static const int mailform_ares_opt_flags = ARES_OPT_FLAGS;
static const int mailform_ares_opt_timeoutms = ARES_OPT_TIMEOUTMS;
static const int mailform_ares_opt_tries = ARES_OPT_TRIES;
static const int mailform_ares_opt_sock_state_cb = ARES_OPT_SOCK_STATE_CB;
static const int mailform_ares_opt_ednspsz = ARES_OPT_EDNSPSZ;
static const int mailform_ares_lib_init_all = ARES_LIB_INIT_ALL;
static const ares_socket_t mailform_ares_socket_bad = ARES_SOCKET_BAD;

#endif
