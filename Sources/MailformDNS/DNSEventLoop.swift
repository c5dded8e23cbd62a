import CAres
import Foundation

/// Owns the c-ares channel and drives it: one thread, one `poll`, every
/// query of the run in flight on it at once (up to the budget).
///
/// c-ares channels are not thread-safe, so the channel is touched only by the
/// thread running `run()`; callers reach it through `DNSMailbox`. The loop
/// learns which sockets c-ares uses from its socket-state callback (not
/// `ares_getsock`, which reports at most 16, nor `ares_fds`/`select`, which
/// breaks once a busy process has descriptors above 1023), and asks
/// `ares_timeout` how long it may sleep.
final class DNSEventLoop {
    private let mailbox: DNSMailbox
    private let budget: Int
    private let queryTimeout: Duration
    private var channel: ares_channel?
    /// Sockets c-ares wants watched, with the events it wants.
    private var sockets: [ares_socket_t: (read: Bool, write: Bool)] = [:]
    private var inFlight: [ObjectIdentifier: InFlightQuery] = [:]

    /// Creates the channel (reading /etc/resolv.conf when no servers are
    /// given). Runs on the creating thread; `run()` then takes over.
    init(configuration: DNSClientConfiguration, mailbox: DNSMailbox) throws(DNSConfigurationError) {
        self.mailbox = mailbox
        budget = max(1, configuration.maxConcurrentQueries)
        let timeout = max(1, configuration.timeoutMilliseconds)
        queryTimeout = .milliseconds(timeout)

        let servers = try configuration.servers.map { (text) throws(DNSConfigurationError) in try DNSServerAddress(parsing: text) }
        let serverCount = servers.isEmpty ? try Self.systemServerCount() : servers.count
        let tries = min(max(1, configuration.tries), 6)

        var options = ares_options()
        // NOCHECKRESP: without it, c-ares 1.18 answers SERVFAIL and REFUSED
        // by skipping the server, and once none is left reports
        // ARES_ECONNREFUSED — the same as "nothing listens there". With it the
        // response reaches ares_query, which maps the RCODE (ESERVFAIL,
        // EREFUSED). The cost: no fail-over to the next server on those two
        // codes (fail-over on silence or a dead server still happens).
        options.flags = mailform_ares_flag_edns | mailform_ares_flag_nocheckresp
        options.timeout = Self.perTryTimeout(total: timeout, servers: serverCount, tries: tries)
        options.tries = Int32(tries)
        // The EDNS UDP size agreed on for DNS flag day 2020: a domain's TXT set
        // (SPF, verifications, a 2048-bit DKIM key) usually fits, so TCP
        // (which c-ares falls back to on truncation) stays the exception.
        options.ednspsz = 1232
        options.sock_state_cb = { data, socket, readable, writable in
            guard let data else { return }
            Unmanaged<DNSEventLoop>.fromOpaque(data).takeUnretainedValue()
                .socketStateChanged(socket, read: readable != 0, write: writable != 0)
        }
        options.sock_state_cb_data = Unmanaged.passUnretained(self).toOpaque()
        let mask = mailform_ares_opt_flags | mailform_ares_opt_timeoutms | mailform_ares_opt_tries
            | mailform_ares_opt_sock_state_cb | mailform_ares_opt_ednspsz
        _ = AresLibrary.initialized
        var created: ares_channel?
        let status = ares_init_options(&created, &options, mask)
        guard status == ARES_SUCCESS, let created else {
            throw DNSConfigurationError("cannot set up the DNS resolver: \(DNSReplyParser.message(status))")
        }
        channel = created
        if !servers.isEmpty {
            let list = servers.map(\.description).joined(separator: ",")
            let status = ares_set_servers_ports_csv(created, list)
            guard status == ARES_SUCCESS else {
                ares_destroy(created)
                channel = nil
                throw DNSConfigurationError("c-ares rejected the DNS servers \"\(list)\": \(DNSReplyParser.message(status))")
            }
        }
    }

    /// c-ares gives each try `timeout` ms and doubles it after every round
    /// over the servers, so `tries` rounds over `servers` servers take
    /// servers × timeout × (2^tries − 1). Solving for `timeout` makes all tries
    /// fit in the per-query budget (at least 10 ms each).
    static func perTryTimeout(total: Int, servers: Int, tries: Int) -> Int32 {
        let rounds = (1 << tries) - 1
        return Int32(clamping: max(10, total / (max(1, servers) * rounds)))
    }

    /// How many servers the system's configuration names (c-ares falls back
    /// to 127.0.0.1 when there are none). A throwaway channel reads it.
    private static func systemServerCount() throws(DNSConfigurationError) -> Int {
        _ = AresLibrary.initialized
        var probe: ares_channel?
        var options = ares_options()
        let status = ares_init_options(&probe, &options, 0)
        guard status == ARES_SUCCESS, let probe else {
            throw DNSConfigurationError("cannot read the system's DNS configuration: \(DNSReplyParser.message(status))")
        }
        defer { ares_destroy(probe) }
        var list: UnsafeMutablePointer<ares_addr_port_node>?
        guard ares_get_servers_ports(probe, &list) == ARES_SUCCESS else { return 1 }
        defer { if let list { ares_free_data(list) } }
        var count = 0
        var node = list
        while let current = node {
            count += 1
            node = current.pointee.next
        }
        return max(1, count)
    }

    /// Runs until the client is gone and every question has its answer.
    func run() {
        guard let channel else { return }
        mailbox.markLoopThread()
        var pollSet: [pollfd] = []
        while true {
            let free = budget - inFlight.count
            if free > 0 {
                for query in mailbox.takeQueued(limit: free) { start(query, on: channel) }
            }
            expireOverdue(now: .now)
            if inFlight.isEmpty, mailbox.isClosedAndDrained { break }

            pollSet.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: mailbox.wakeReader, events: Int16(POLLIN), revents: 0))
            for (socket, interest) in sockets {
                let events = (interest.read ? Int16(POLLIN) : 0) | (interest.write ? Int16(POLLOUT) : 0)
                pollSet.append(pollfd(fd: socket, events: events, revents: 0))
            }
            let ready = poll(&pollSet, nfds_t(pollSet.count), pollTimeout(channel))
            if ready < 0, errno != EINTR {
                // Should not happen (EINVAL/ENOMEM); do not spin on it.
                usleep(10_000)
            }
            if ready > 0 {
                if pollSet[0].revents != 0 { mailbox.drainWakeups() }
                let bad = mailform_ares_socket_bad
                for entry in pollSet.dropFirst() where entry.revents != 0 {
                    let readable = entry.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
                    let writable = entry.revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0
                    ares_process_fd(channel, readable ? entry.fd : bad, writable ? entry.fd : bad)
                }
            }
            // Retries and c-ares's own timeouts.
            ares_process_fd(channel, mailform_ares_socket_bad, mailform_ares_socket_bad)
        }
        mailbox.failQueued(.other("the DNS client has shut down"))
        ares_destroy(channel)
        self.channel = nil
    }

    private func start(_ query: DNSQuery, on channel: ares_channel) {
        let context = InFlightQuery(query: query, deadline: .now + queryTimeout, loop: self)
        inFlight[ObjectIdentifier(context)] = context
        mailbox.recordStarted(inFlight: inFlight.count)
        guard !query.name.utf8.contains(0) else {
            finish(context, result: .failure(.other("the name cannot be queried (it contains a NUL byte)")))
            return
        }
        let arg = Unmanaged.passRetained(context).toOpaque()
        // The callback may run before ares_query returns (a name c-ares
        // cannot encode): `context` is already registered for that.
        ares_query(channel, query.name, 1 /* class IN */, query.type.rawValue, { arg, status, _, answer, length in
            guard let arg else { return }
            let context = Unmanaged<InFlightQuery>.fromOpaque(arg).takeRetainedValue()
            let result = DNSReplyParser.result(status: status, type: context.query.type, answer: answer, length: length)
            context.loop.finish(context, result: result)
        }, arg)
    }

    /// c-ares is done with a query: free its slot and, unless the deadline
    /// already answered, give everyone waiting the result.
    private func finish(_ context: InFlightQuery, result: DNSResult) {
        inFlight.removeValue(forKey: ObjectIdentifier(context))
        if !context.expired { mailbox.complete(context.query, result) }
    }

    /// Answers `timeout` for queries past their deadline. c-ares keeps them
    /// (there is no per-query cancel in 1.18) until its own tries run out,
    /// which the derived per-try timeout makes happen about now; until then
    /// they still count against the budget.
    private func expireOverdue(now: ContinuousClock.Instant) {
        for context in inFlight.values where !context.expired && now >= context.deadline {
            context.expired = true
            mailbox.recordDeadlineExpiry()
            mailbox.complete(context.query, .failure(.timeout))
        }
    }

    /// Milliseconds until c-ares needs attention or a deadline passes; -1
    /// (sleep until woken) when nothing is in flight.
    private func pollTimeout(_ channel: ares_channel) -> Int32 {
        guard !inFlight.isEmpty else { return -1 }
        let now = ContinuousClock.now
        var milliseconds = Int.max
        var value = timeval()
        if let next = ares_timeout(channel, nil, &value) {
            milliseconds = Int(next.pointee.tv_sec) * 1000 + (Int(next.pointee.tv_usec) + 999) / 1000
        }
        for context in inFlight.values where !context.expired {
            let left = context.deadline - now
            let (seconds, attoseconds) = left.components
            let ms = max(0, Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
            milliseconds = min(milliseconds, ms)
        }
        if milliseconds == Int.max { return 1000 }
        return Int32(clamping: max(0, milliseconds))
    }

    fileprivate func socketStateChanged(_ socket: ares_socket_t, read: Bool, write: Bool) {
        if read || write {
            sockets[socket] = (read, write)
        } else {
            sockets.removeValue(forKey: socket)
        }
    }
}
