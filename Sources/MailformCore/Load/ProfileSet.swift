import Foundation
import JSONSchema

/// The profiles of a workspace: partial company settings that `extends:` starts from.
final class ProfileSet: @unchecked Sendable {
    enum Lookup {
        case found(JSONNode)
        case failed(Diagnostic)
        case missing
    }

    private var byName: [String: Result<JSONNode, Diagnostic>] = [:]
    var names: [String] { byName.keys.sorted() }

    func profile(named name: String) -> Lookup {
        switch byName[name] {
        case .success(let node)?: .found(node)
        case .failure(let diagnostic)?: .failed(diagnostic)
        case nil: .missing
        }
    }

    /// Reads every `*.yaml` / `*.yml` of the profiles folder, before companies
    /// are loaded in parallel.
    static func load(workspace: Workspace, files: SourceFiles) -> ProfileSet {
        let set = ProfileSet()
        let dir = workspace.profilesDirectory
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return set }
        for entry in entries.sorted() where entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") {
            let name = (entry as NSString).deletingPathExtension
            let path = (dir as NSString).appendingPathComponent(entry)
            let source = files.add(absolutePath: path)
            switch YAMLFile.read(path, source: source, files: files) {
            case .failure(let diagnostic):
                set.byName[name] = .failure(diagnostic)
            case .success(let node):
                if let bad = node.value.members?.first(where: { $0.key == "company" || $0.key == "extends" }) {
                    set.byName[name] = .failure(.error("a profile cannot set '\(bad.key)'", at: files.location(bad.keyMark),
                                                       hint: bad.key == "company" ? "set company: in each company file" : "profiles do not chain; copy the settings into this profile"))
                } else {
                    set.byName[name] = .success(node)
                }
            }
        }
        return set
    }

    /// Deep merge: mappings merge key by key, the company's value wins; lists
    /// and scalars replace. Every node keeps the position of the file it came
    /// from, so errors in inherited values point into the profile.
    static func merge(base: JSONNode, over top: JSONNode) -> JSONNode {
        guard case .object(let baseMembers) = base.value, case .object(let topMembers) = top.value else { return top }
        var merged: [JSONMember] = []
        for member in baseMembers {
            if let override = topMembers.first(where: { $0.key == member.key }) {
                merged.append(JSONMember(key: member.key, keyMark: override.keyMark, value: merge(base: member.value, over: override.value)))
            } else {
                merged.append(member)
            }
        }
        for member in topMembers where !baseMembers.contains(where: { $0.key == member.key }) {
            merged.append(member)
        }
        return JSONNode(.object(merged), mark: top.mark)
    }
}
