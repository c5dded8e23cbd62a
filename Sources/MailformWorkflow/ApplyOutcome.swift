import Foundation
import MailformCore
import MailformProbe
import MailformStore

public struct ApplyOutcome: Sendable {
    public var plan: Plan
    public var probe: ProbeOutcome?
    /// The store revision written; nil when the plan was empty.
    public var revision: Int64?
    /// Companies left out after a failed probe (`--skip-failed`).
    public var leftOut: [String] = []
    /// What the run read (the files' companies, the store): a CLI that
    /// exits right after may keep it rather than free it object by object.
    public var read: PlannedFiles?
}
