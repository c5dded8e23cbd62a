#ifndef MAILFORM_CPOSTGRES_SHIM_H
#define MAILFORM_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
