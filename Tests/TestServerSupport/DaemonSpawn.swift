import Foundation

/// Runs a script that starts daemons (the test DNS and mail servers) and
/// waits for the script only.
///
/// Not `Foundation.Process`: on Linux its `waitUntilExit` also waits for
/// descriptors the daemons inherit, so it never returns once they run. The
/// child gets /dev/null and files as its standard streams, a session of its
/// own, an empty signal mask and default handlers (the test runtime blocks
/// most signals, and daemons would otherwise ignore their stop script's
/// SIGTERM), and `waitpid` waits for exactly it.
public enum DaemonSpawn {
    /// Runs a program to completion and returns its exit status (128 + signal when killed).
    public static func run(_ arguments: [String], stdout: String = "/dev/null", stderr: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The calling thread blocks most signals (the test runtime's threads
        // do) and posix_spawn hands that mask on: daemons would then ignore
        // stop.sh's SIGTERM until it falls back to SIGKILL 5 s later. Start
        // the child with an empty mask and default handlers.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        let setSID: Int16 = 0x80 // POSIX_SPAWN_SETSID (glibc hides the name without _GNU_SOURCE)
        posix_spawnattr_setflags(&attributes, setSID | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let code = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard code == 0 else {
            throw TestDNSServer.Failure(description: "cannot start \(arguments[0]) or open its output files (\(stdout), \(stderr)): \(String(cString: strerror(code)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
