import Foundation
import JSONSchema

/// The profiles of a workspace: partial company settings that `extends:` starts from.
///
/// A profile is read only when a company extends it, once, under a lock
/// (companies load in parallel): an unused profile costs nothing, and an
/// oversized one is refused by the same limits as company files.
final class ProfileSet: @unchecked Sendable {
    /// The longest profile name (`extends:`): a file name, not a text.
    static let maxNameLength = 64
    enum Lookup {
        case found(JSONNode)
        case failed(Diagnostic)
        case missing
    }

    private let workspace: Workspace
    private let files: SourceFiles
    private let lock = NSLock()
    private var byName: [String: Lookup] = [:]

    init(workspace: Workspace, files: SourceFiles) {
        self.workspace = workspace
        self.files = files
    }

    /// The profile names in the folder (listing only, for "did you mean").
    var names: [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: workspace.profilesDirectory)) ?? []
        return entries.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.map { ($0 as NSString).deletingPathExtension }.sorted()
    }

    func profile(named name: String) -> Lookup {
        lock.lock()
        defer { lock.unlock() }
        if let known = byName[name] { return known }
        let lookup = read(name)
        byName[name] = lookup
        return lookup
    }

    private func read(_ name: String) -> Lookup {
        let dir = workspace.profilesDirectory
        guard let path = ["yaml", "yml"].map({ (dir as NSString).appendingPathComponent("\(name).\($0)") }).first(where: {
            Paths.exists($0) || WorkspaceLoader.isLink($0)
        }) else { return .missing }
        let source = files.add(absolutePath: path)
        switch YAMLFile.read(path, source: source, files: files, fence: workspace.fence) {
        case .failure(let diagnostic):
            return .failed(diagnostic)
        case .success(let node):
            if let bad = node.value.members?.first(where: { $0.key == "company" || $0.key == "extends" }) {
                return .failed(.error("a profile cannot set '\(bad.key)'", at: files.location(bad.keyMark),
                                      hint: bad.key == "company" ? "set company: in each company file" : "profiles do not chain; copy the settings into this profile"))
            }
            return .found(node)
        }
    }

    /// Deep merge: mappings merge key by key, the company's value wins; lists
    /// and scalars replace. Every node keeps the position of the file it came
    /// from, so errors in inherited values point into the profile.
    /// The settings a company file changes in an SMTP server or a Mailgun
    /// account whose secret it takes from the profile: a profile's secret
    /// goes only with the profile's own settings (its host, port, TLS checks,
    /// user, OAuth2 token URL; its Mailgun domain and region), so a company
    /// cannot send it elsewhere or use it for another domain. Each as
    /// (dotted key, mark).
    static func borrowedSecretOverrides(profile: JSONNode, company: JSONNode) -> [(key: String, mark: Mark?)] {
        // smtp: password, oauth2.client_secret, oauth2.service_account_key; a provider's: its secrets (mailgun: api_key).
        let sections: [(name: String, secretKeys: [String])] = [("smtp", SMTPServerShape.secretKeys)]
            + ProviderSchemes.apis.map { ($0.word, $0.secretFields.map(\.name)) }
        func has(_ node: JSONNode, _ dotted: String) -> Bool {
            var current: JSONNode? = node
            for part in dotted.split(separator: ".") { current = current?[String(part)] }
            return current != nil
        }
        var out: [(key: String, mark: Mark?)] = []
        for section in sections {
            guard let base = profile[section.name], let own = company[section.name], let ownMembers = own.value.members else { continue }
            let secretKeys = section.secretKeys
            let borrowed = secretKeys.filter { has(base, $0) && !has(own, $0) }
            guard !borrowed.isEmpty else { continue }
            for member in ownMembers {
                if let nested = member.value.value.members, secretKeys.contains(where: { $0.hasPrefix(member.key + ".") }) {
                    for inner in nested where !secretKeys.contains(member.key + "." + inner.key) {
                        out.append((section.name + "." + member.key + "." + inner.key, inner.keyMark ?? inner.value.mark))
                    }
                } else if !secretKeys.contains(member.key) {
                    out.append((section.name + "." + member.key, member.keyMark ?? member.value.mark))
                }
            }
        }
        return out
    }

    /// Deep merge: mappings merge key by key, the company's value wins; lists
    /// and scalars replace. Every node keeps the position of the file it came
    /// from, so errors in inherited values point into the profile. Linear in
    /// the number of keys (a key is looked up, not searched for).
    static func merge(base: JSONNode, over top: JSONNode) -> JSONNode {
        guard case .object(let baseMembers) = base.value, case .object(let topMembers) = top.value else { return top }
        var topIndex: [String: Int] = [:]
        for (i, member) in topMembers.enumerated() where topIndex[member.key] == nil { topIndex[member.key] = i }
        var baseKeys = Set<String>()
        var merged: [JSONMember] = []
        merged.reserveCapacity(baseMembers.count + topMembers.count)
        for member in baseMembers {
            baseKeys.insert(member.key)
            if let i = topIndex[member.key] {
                let override = topMembers[i]
                merged.append(JSONMember(key: member.key, keyMark: override.keyMark, value: merge(base: member.value, over: override.value)))
            } else {
                merged.append(member)
            }
        }
        for member in topMembers where !baseKeys.contains(member.key) {
            merged.append(member)
        }
        return JSONNode(.object(merged), mark: top.mark)
    }
}
