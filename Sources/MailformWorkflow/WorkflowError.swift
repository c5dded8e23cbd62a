import MailformCore

/// Why a reconcile workflow stopped. Nothing was written in any case; the CLI
/// renders each and maps it to an exit code (`exitCode`).
public enum WorkflowError: Error, Sendable {
    /// The files (or a saved plan's settings) do not validate or resolve:
    /// located diagnostics, and how many files were read.
    case invalid(DiagnosticCollector, files: Int)
    /// The run cannot go on: a store that cannot be opened, no company
    /// matching `--company`, a refused or stale saved plan, a cancelled
    /// approval, a write that failed.
    case stopped(String, hint: String? = nil)
    /// Over `safety.max_deletes` or `safety.max_changed_percent`.
    case overSafetyLimit(String, hint: String)
    /// An endpoint failed its probe, or the DNS stage found an error.
    case probeFailed(String, hint: String?)

    /// 1 for input and state problems, 3 when a probe (or the DNS stage) failed.
    public var exitCode: Int32 {
        switch self {
        case .probeFailed: 3
        default: 1
        }
    }
}
