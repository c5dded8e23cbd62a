#include "build_info.h"
#ifndef MAILFORM_COMMIT
#define MAILFORM_COMMIT "unknown"
#endif
const char *mailform_build_commit(void) { return MAILFORM_COMMIT; }
