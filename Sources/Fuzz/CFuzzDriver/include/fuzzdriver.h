// libFuzzer's entry for programs that have their own main (SwiftPM names an executable's
// main <Target>_main, so libFuzzer's own main is not used).
#include <stddef.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const unsigned char *data, size_t size));
