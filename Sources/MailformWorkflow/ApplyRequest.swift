import Foundation
import MailformCore
import MailformProbe
import MailformStore

public struct ApplyRequest: Sendable {
    public var input: WorkspaceInput
    public var companies: [String] = []
    public var prune = false
    public var force = false
    public var noProbe = false
    public var skipFailed = false
    public var probe = ProbeSettings()
    public var dns = DNSSettings(enabled: false)
    public var actor: String
    public var approval: Approval = .automatic
    /// Changed companies kept in memory without the probe (`Stages.defaultKeepLimit`).
    public var keepLimit = Stages.defaultKeepLimit
    /// `--reviewed DIGEST`: apply only this change set (``ReviewedChangeSet``).
    public var reviewed: String?
    /// `--create-store`: a missing store may be created. Without it, an
    /// apply to a path that holds no store stops (a mistyped --store must
    /// not start an empty store and apply everything to it).
    public var createStore = false

    public init(input: WorkspaceInput, actor: String) {
        self.input = input
        self.actor = actor
    }
}
