/// The one shape of every error mailform reports: a stable code, a message,
/// and what to do about it.
///
/// The code is what scripts match on: it is printed in brackets after the
/// message (`mailform: error: stale plan: … [plan-stale]`), as a
/// diagnostic's rule id is, and it is never renamed once released. The
/// message may change wording between versions; the code does not.
/// Every code is listed, with its meaning, in ``ErrorCode`` and in
/// `docs/errors.md` (a test keeps the two equal).
public protocol MailformError: Error, CustomStringConvertible {
    /// The stable code of this kind of error.
    var code: ErrorCode { get }
    /// What went wrong: lowercase, no final period, values quoted and escaped.
    var message: String { get }
    /// What to do about it, when there is something to say.
    var hint: String? { get }
}

extension MailformError {
    public var hint: String? { nil }
}

/// An error of any type seen through ``MailformError``: its own code, message
/// and hint when it has them, ``ErrorCode/internalError`` otherwise.
public struct ReportedError: MailformError, Sendable {
    public var code: ErrorCode
    public var message: String
    public var hint: String?
    public var description: String { message }

    public init(_ code: ErrorCode, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    /// `error` as mailform reports it.
    public init(_ error: any Error) {
        if let known = error as? any MailformError {
            self.init(known.code, known.message, hint: known.hint)
        } else {
            self.init(.internalError, "\(error)")
        }
    }
}

