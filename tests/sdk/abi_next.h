/* Forced in front of a plugin's sources (-include) by tests/sdk: the plugin
 * then declares the next ABI major, as if built against a future SDK, and
 * the host must refuse it naming both versions. (CMake's compiler check
 * compiles without the SDK's include path: nothing to do there.) */
#if __has_include("plume/plugin.h")
#include "plume/plugin.h"
#undef PLUME_ABI_MAJOR
#define PLUME_ABI_MAJOR 2
#endif
