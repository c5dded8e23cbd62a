import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// The Git commit of a workspace that is a checkout.
public enum GitInfo {
    /// The commit the workspace is at, with `-dirty` when its files differ
    /// from it (as `git describe --dirty` says): history then does not name
    /// a commit that holds other values than those applied. nil outside Git.
    public static func head(of directory: String) -> String? {
        guard let head = git(["-C", directory, "rev-parse", "HEAD"]), !head.isEmpty else { return nil }
        // Tracked files of the workspace changed or staged (untracked ones are
        // left out: the store and its key file usually lie untracked beside
        // mailform.yaml).
        guard let status = git(["-C", directory, "status", "--porcelain", "--untracked-files=no", "--", "."]) else { return head }
        return status.isEmpty ? head : head + "-dirty"
    }

    /// git with its file-system monitor off (a hook named in .git/config
    /// would run), stopped after `limit` seconds: history waits for the
    /// commit inside the apply's transaction, so a slow or hanging git must
    /// not hold the store's lock (the commit is then not recorded).
    private static func git(_ arguments: [String], limit: TimeInterval = 5) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "core.fsmonitor=false"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        guard (try? process.run()) != nil else { return nil }
        // Read on another thread: a full pipe must not keep git from ending.
        let output = Background { pipe.fileHandleForReading.readDataToEndOfFile() }
        guard ended.wait(timeout: .now() + limit) == .success else {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        let data = output.value
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
