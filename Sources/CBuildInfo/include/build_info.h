#ifndef MAILFORM_BUILD_INFO_H
#define MAILFORM_BUILD_INFO_H
/// The Git commit mailform was built from; "unknown" unless the build passed
/// -Xcc -DMAILFORM_COMMIT='"<sha>"' (the Makefile's release and install do).
const char *mailform_build_commit(void);
#endif
