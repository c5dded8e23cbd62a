import CAres

/// `ares_library_init` must run once before the first channel (it is a
/// no-op on Linux today, but required by the API contract); a static `let`
/// runs it exactly once, thread-safely.
enum AresLibrary {
    static let initialized: Bool = ares_library_init(mailform_ares_lib_init_all) == ARES_SUCCESS
}
