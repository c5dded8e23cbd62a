import MailformCore
import MailformDNS
import SPF

// The resolver's and the SPF library's public errors, as mailform reports
// them. (Those libraries do not depend on MailformCore; their internal
// errors — `SPFAbort`, `RecordProblem`, `DKIMKeyError` — never leave them:
// they become findings with rule ids.)

extension DNSConfigurationError: MailformError {
    public var code: ErrorCode { .dnsServer }
}

extension SPFSyntaxError: MailformError {
    public var code: ErrorCode { .spfSyntax }
}
