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
        // A status that cannot be had records no commit: never a clean one.
        guard let status = git(["-C", directory, "status", "--porcelain", "--untracked-files=no", "--", "."]) else { return nil }
        return status.isEmpty ? head : head + "-dirty"
    }

    /// git as the runner has it, never as the checkout would set it up:
    /// - a repository found by walking up from a folder the pull request
    ///   controls may be one it planted (HEAD, objects/, refs/ and a config
    ///   whose filters run its code): only a real `.git` is used
    ///   (`safe.bareRepository=explicit`), and the file-system monitor is off;
    /// - it gets no variable of the run but PATH and HOME, so nothing it
    ///   starts holds the store key or a secret;
    /// - it runs in a process group of its own, stopped whole after `limit`
    ///   seconds: history waits for the commit inside the apply's
    ///   transaction, so a slow or hanging git must not hold the store's
    ///   lock (the commit is then not recorded).
    /// Spawned and waited for on the calling thread: Foundation's `Process`
    /// learns of the exit on the shared dispatch pool, which a bulk apply
    /// keeps busy (git's answer then came 1.6 s late).
    private static func git(_ arguments: [String], limit: TimeInterval = 5) -> String? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        // Neither end is inherited by processes spawned meanwhile (dup2 gives git its own stdout).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ["git", "-c", "core.fsmonitor=false", "-c", "safe.bareRepository=explicit"] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let runner = ProcessInfo.processInfo.environment
        let kept = ["PATH", "HOME"].compactMap { name in runner[name].map { "\(name)=\($0)" } } + ["LC_ALL=C"]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = kept.map { strdup($0) } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        // posix_spawnp looks git up in the run's own PATH (the runner's).
        let spawned = posix_spawnp(&pid, "git", &actions, &attributes, &cArguments, &cEnvironment)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { return nil }
        let deadline = Date().addingTimeInterval(limit)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var ended = false
        while !ended {
            let left = deadline.timeIntervalSinceNow
            var ready = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let polled = left > 0 ? poll(&ready, 1, Int32(min(left * 1000, 1000)) + 1) : 0
            if polled < 0 && errno == EINTR { continue }
            guard polled > 0 else {
                if left > 0 { continue }
                kill(-pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return nil
            }
            let n = read(fds[0], &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ended = true; continue }
            // Only whether there is output counts beyond the commit: kept short.
            if output.count < 65_536 { output += buffer[..<n] }
        }
        // Its output is closed: git is ending; waited for until the deadline,
        // without reaping it (WNOWAIT): its group's id cannot be another's
        // while it is not reaped, so what it started and left behind is
        // stopped with it, and never another process.
        var status: Int32 = 0
        while true {
            var info = siginfo_t()
            let waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if waited == 0 && info.si_signo == SIGCHLD { break }
            if waited < 0 && errno != EINTR { return nil }
            if Date() >= deadline { break }
            usleep(1_000)
        }
        kill(-pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited (not signalled) with status 0.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else { return nil }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
