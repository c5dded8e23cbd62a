/// Every stable error code, with its meaning. This is the one list: the CLI
/// prints a code in brackets after the message, `docs/errors.md` lists the
/// same codes (checked by `ErrorCodeTests`), and a code is never renamed or
/// reused once released. (Problems in the user's files are diagnostics, with
/// rule ids; a failed probe adds a failure kind; both are listed in
/// `docs/reference.md`.)
public enum ErrorCode: String, CaseIterable, Sendable, CustomStringConvertible {
    // Input
    case invalidInput = "invalid-input"
    case usage = "usage"
    case noCompanyMatches = "no-company-matches"
    case duration = "duration"
    case yamlSyntax = "yaml-syntax"
    case fileUnreadable = "file-unreadable"
    case fileFenced = "file-fenced"
    case secretUnresolved = "secret-unresolved"
    case logoUnusable = "logo-unusable"
    case settingUnreadable = "setting-unreadable"
    case schemaInvalid = "schema-invalid"
    case jsonSyntax = "json-syntax"
    case endpointOverride = "endpoint-override"
    case dnsServer = "dns-server"
    case spfSyntax = "spf-syntax"
    // The store and its key
    case storeNotFound = "store-not-found"
    case storeUnreadable = "store-unreadable"
    case storeOlder = "store-older"
    case storeNewer = "store-newer"
    case storeLocked = "store-locked"
    case storeValue = "store-value"
    case storeKey = "store-key"
    case secretSealing = "secret-sealing"
    case storeWrite = "store-write"
    // Plans, snapshots, the safety limits and approval
    case planStale = "plan-stale"
    case planRefused = "plan-refused"
    case planSignature = "plan-signature"
    case planSettings = "plan-settings"
    case reviewedDiffers = "reviewed-differs"
    case snapshotRefused = "snapshot-refused"
    case overSafetyLimit = "over-safety-limit"
    case approvalNeeded = "approval-needed"
    case applyCancelled = "apply-cancelled"
    // Writing files
    case writeRefused = "write-refused"
    case fileExists = "file-exists"
    case exportDiffers = "export-differs"
    case exportRefused = "export-refused"
    case temporarySpace = "temporary-space"
    case outputWrite = "output-write"
    // Probing and DNS
    case probeFailed = "probe-failed"
    case credential = "credential"
    // Anything mailform did not foresee
    case internalError = "internal"

    public var description: String { rawValue }

    /// One line for `docs/errors.md`.
    public var meaning: String {
        switch self {
        case .invalidInput: "the files (or a saved plan's settings) do not validate or resolve; the located diagnostics above say where"
        case .usage: "the command line asks for something this command cannot do (flags that exclude each other, a missing --auto-approve)"
        case .noCompanyMatches: "--company names no company of the files or the store"
        case .duration: "a timeout is not a duration from 1ms to 60m"
        case .yamlSyntax: "a YAML file does not parse, is too large or too deep, or is not UTF-8"
        case .fileUnreadable: "a file is not a regular file, is over its size limit, or cannot be read"
        case .fileFenced: "a file lies outside the workspace, in a hidden or secrets folder, or is the store or its key"
        case .secretUnresolved: "a secret reference reads outside its fence, or names a variable or file that does not exist or is empty"
        case .logoUnusable: "a logo file is missing, outside the workspace, too large or not a PNG, JPEG or SVG image"
        case .settingUnreadable: "a setting's value does not fit its field (after the schema accepted the file)"
        case .schemaInvalid: "a JSON Schema itself is not valid"
        case .jsonSyntax: "a JSON document does not parse"
        case .endpointOverride: "a MAILFORM_*_URL variable is not https (or plain http to 127.0.0.1), or holds a user or password"
        case .dnsServer: "--dns-server or probe.dns.servers is not an IP address with an optional port"
        case .spfSyntax: "an SPF record does not follow RFC 7208's grammar"
        case .storeNotFound: "no store at the path given, and no --create-store"
        case .storeUnreadable: "the store cannot be opened (a file reached through a link; a PostgreSQL server down, a login refused, a URL refused), or is not a mailform store"
        case .storeOlder: "the store was made by an older version: run apply to migrate it"
        case .storeNewer: "the store was made by a newer version of mailform: use that version"
        case .storeLocked: "another apply held the store's lock for longer than --lock-timeout"
        case .storeValue: "a row of the store holds a value mailform cannot read (written outside mailform)"
        case .storeKey: "the store key is missing, malformed, reached through a link, or not the key the store's secrets were sealed with"
        case .secretSealing: "a stored secret fails authentication (another key or a tampered store), or OpenSSL cannot seal one"
        case .storeWrite: "the store refused the write; the transaction was rolled back"
        case .planStale: "the store, or a secret, changed since the plan was made: run plan again"
        case .planRefused: "a saved plan is unreadable, of another format, for another store or workspace, or does not match what it carries"
        case .planSignature: "a saved plan's signature does not verify: it was modified, or signed with another store key"
        case .planSettings: "a plan holds no settings for a company it changes"
        case .reviewedDiffers: "apply --reviewed names a change set other than the one the files and the store give now"
        case .snapshotRefused: "a state snapshot is unreadable, of another format, or its digest does not verify"
        case .overSafetyLimit: "the change is over safety.max_deletes or safety.max_changed_percent"
        case .approvalNeeded: "apply is not run on a terminal and has no --auto-approve"
        case .applyCancelled: "the change was not approved at the prompt"
        case .writeRefused: "an output file would replace the store, its key, or be written through a symbolic link"
        case .fileExists: "init would overwrite files that exist"
        case .exportDiffers: "export would overwrite files that say other than the store"
        case .exportRefused: "export cannot write the store as files (ids, secret names or files that collide, files that do not load)"
        case .temporarySpace: "no temporary folder or file can be made (a full or missing TMPDIR)"
        case .outputWrite: "standard output cannot be written (a closed pipe, a full disk)"
        case .probeFailed: "an endpoint failed its probe, or the DNS stage found an error; exit code 3"
        case .credential: "an OAuth2 credential or service-account key cannot be used to ask for a token"
        case .internalError: "an error mailform did not foresee; please report it with the command that caused it"
        }
    }
}
