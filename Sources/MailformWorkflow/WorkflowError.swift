import MailformCore

/// Why a reconcile workflow stopped. Nothing was written in any case; the CLI
/// renders each, with its stable code (``MailformError``), and maps it to an
/// exit code (`exitCode`).
public enum WorkflowError: MailformError, Sendable {
    /// The files (or a saved plan's settings) do not validate or resolve:
    /// located diagnostics, and how many files were read.
    case invalid(DiagnosticCollector, files: Int)
    /// The run cannot go on: a store that cannot be opened, no company
    /// matching `--company`, a refused or stale saved plan, a cancelled
    /// approval, a write that failed.
    case stopped(ErrorCode, String, hint: String? = nil)
    /// Over `safety.max_deletes` or `safety.max_changed_percent`.
    case overSafetyLimit(String, hint: String)
    /// An endpoint failed its probe, or the DNS stage found an error.
    case probeFailed(String, hint: String?)

    /// `error` as a stop: its own code and hint (``ReportedError``), its
    /// message followed by `suffix` (`"; nothing was written"`).
    public static func wrapping(_ error: any Error, _ suffix: String = "") -> WorkflowError {
        let reported = ReportedError(error)
        return .stopped(reported.code, reported.message + suffix, hint: reported.hint)
    }

    /// 1 for input and state problems, 3 when a probe (or the DNS stage)
    /// failed, 64 for a usage error (as the argument parser's own).
    public var exitCode: Int32 {
        switch self {
        case .probeFailed: 3
        case .stopped(.usage, _, _): 64
        default: 1
        }
    }

    public var code: ErrorCode {
        switch self {
        case .invalid: .invalidInput
        case .stopped(let code, _, _): code
        case .overSafetyLimit: .overSafetyLimit
        case .probeFailed: .probeFailed
        }
    }

    public var message: String {
        switch self {
        case .invalid(let diagnostics, let files):
            "\(diagnostics.errorCount) error\(diagnostics.errorCount == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s")"
        case .stopped(_, let message, _), .overSafetyLimit(let message, _), .probeFailed(let message, _): message
        }
    }

    public var hint: String? {
        switch self {
        case .invalid: nil
        case .stopped(_, _, let hint), .probeFailed(_, let hint): hint
        case .overSafetyLimit(_, let hint): hint
        }
    }

    public var description: String { message }
}
