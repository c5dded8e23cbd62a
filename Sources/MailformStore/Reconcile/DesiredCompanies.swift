import MailformCore

/// The settings an apply writes, by company id: held in memory, or read
/// again from the files chunk by chunk as the apply writes them (a plan of
/// 100,000 added companies would otherwise hold every one of them).
public struct DesiredCompanies: Sendable {
    private let held: [String: Company<ResolvedSecret>]
    private let reloadable: Set<String>
    private let reload: (@Sendable ([String]) throws -> [String: Company<ResolvedSecret>])?

    /// Companies in memory.
    public static func held(_ companies: [String: Company<ResolvedSecret>]) -> DesiredCompanies {
        DesiredCompanies(held: companies, reloadable: [], reload: nil)
    }

    /// Some in memory, the others (`reloadable`) read again by `reload`,
    /// which throws when a company is no longer what the plan showed.
    public static func reloaded(held: [String: Company<ResolvedSecret>], reloadable: Set<String>,
                                reload: @escaping @Sendable ([String]) throws -> [String: Company<ResolvedSecret>]) -> DesiredCompanies {
        DesiredCompanies(held: held, reloadable: reloadable, reload: reload)
    }

    public func contains(_ id: String) -> Bool { held[id] != nil || reloadable.contains(id) }

    /// The companies of these ids, in their order (nil for an id that is
    /// not `contains`).
    /// - Throws: what the companies' `reload` throws (a company kept aside that fails its authentication).
    public func companies(_ ids: [String]) throws -> [Company<ResolvedSecret>?] {
        var out: [Company<ResolvedSecret>?] = []
        out.reserveCapacity(ids.count)
        var again: [String] = []
        for id in ids {
            out.append(held[id])
            if out[out.count - 1] == nil && reloadable.contains(id) { again.append(id) }
        }
        if !again.isEmpty, let reload {
            let read = try reload(again)
            for (i, id) in ids.enumerated() where out[i] == nil { out[i] = read[id] }
        }
        return out
    }
}
