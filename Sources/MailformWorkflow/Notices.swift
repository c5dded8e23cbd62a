import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// Lines kept to be shown later, from any thread.
final class Notices: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []

    func add(_ line: String) { lock.withLock { kept.append(line) } }
    var lines: [String] { lock.withLock { kept } }
}
