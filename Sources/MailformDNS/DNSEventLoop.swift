import CAres
import Foundation

/// Owns the c-ares channels and drives them: one thread, one `poll`, every
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
    /// One channel per configured server, each with the server list rotated
    /// to start at its own (one channel for the system's resolvers): a
    /// query answered SERVFAIL or REFUSED moves to the next channel, that
    /// is, to the next server first (c-ares 1.18 has no per-query server).
    private var channels: [ares_channel] = []
    /// The socket-state callback's data: which channel a socket is of.
    private var tags: [ChannelTag] = []
    /// Sockets c-ares wants watched, with the events it wants and their channel.
    private var sockets: [ares_socket_t: (read: Bool, write: Bool, channel: Int)] = [:]
    private var inFlight: [ObjectIdentifier: InFlightQuery] = [:]
    /// Queries to ask again, issued by the loop after c-ares returns.
    private var retries: [InFlightQuery] = []
    /// Times one query is asked again on the same channel after its
    /// connection went away (a server that closes each TCP connection after
    /// one answer leaves the other queries sent on it unanswered): twice
    /// whatever happens (a server that refuses connections costs that), and
    /// more, up to `maxConnectionRetries`, while the server answers other
    /// queries meanwhile; the query's deadline bounds it all.
    static let connectionRetries = 2
    static let maxConnectionRetries = 64
    /// Answers (of any kind) each channel got: a server that answers is alive.
    private var channelAnswers: [Int] = []

    private final class ChannelTag {
        unowned let loop: DNSEventLoop
        let index: Int
        init(loop: DNSEventLoop, index: Int) {
            self.loop = loop
            self.index = index
        }
    }

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
            let tag = Unmanaged<ChannelTag>.fromOpaque(data).takeUnretainedValue()
            tag.loop.socketStateChanged(socket, read: readable != 0, write: writable != 0, channel: tag.index)
        }
        let mask = mailform_ares_opt_flags | mailform_ares_opt_timeoutms | mailform_ares_opt_tries
            | mailform_ares_opt_sock_state_cb | mailform_ares_opt_ednspsz
        _ = AresLibrary.initialized
        for index in 0..<max(1, servers.count) {
            let tag = ChannelTag(loop: self, index: index)
            tags.append(tag)
            options.sock_state_cb_data = Unmanaged.passUnretained(tag).toOpaque()
            var created: ares_channel?
            let status = ares_init_options(&created, &options, mask)
            guard status == ARES_SUCCESS, let created else {
                destroyChannels()
                throw DNSConfigurationError("cannot set up the DNS resolver: \(DNSReplyParser.message(status))")
            }
            channels.append(created)
            channelAnswers.append(0)
            if !servers.isEmpty {
                let rotated = Array(servers[index...] + servers[..<index])
                let list = rotated.map(\.description).joined(separator: ",")
                let status = ares_set_servers_ports_csv(created, list)
                guard status == ARES_SUCCESS else {
                    destroyChannels()
                    throw DNSConfigurationError("c-ares rejected the DNS servers \"\(list)\": \(DNSReplyParser.message(status))")
                }
            }
        }
    }

    private func destroyChannels() {
        for channel in channels { ares_destroy(channel) }
        channels = []
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
        guard !channels.isEmpty else { return }
        mailbox.markLoopThread()
        var pollSet: [pollfd] = []
        while true {
            let free = budget - inFlight.count
            if free > 0 {
                for query in mailbox.takeQueued(limit: free) { start(query) }
            }
            let again = retries
            retries = []
            for context in again { ask(context) }
            expireOverdue(now: .now)
            if inFlight.isEmpty, mailbox.isClosedAndDrained { break }

            pollSet.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: mailbox.wakeReader, events: Int16(POLLIN), revents: 0))
            for (socket, interest) in sockets {
                let events = (interest.read ? Int16(POLLIN) : 0) | (interest.write ? Int16(POLLOUT) : 0)
                pollSet.append(pollfd(fd: socket, events: events, revents: 0))
            }
            let ready = poll(&pollSet, nfds_t(pollSet.count), retries.isEmpty ? pollTimeout() : 0)
            if ready < 0, errno != EINTR {
                // Should not happen (EINVAL/ENOMEM); do not spin on it.
                usleep(10_000)
            }
            if ready > 0 {
                if pollSet[0].revents != 0 { mailbox.drainWakeups() }
                let bad = mailform_ares_socket_bad
                for entry in pollSet.dropFirst() where entry.revents != 0 {
                    // A socket the callbacks above closed is skipped.
                    guard let channel = sockets[entry.fd]?.channel else { continue }
                    let readable = entry.revents & Int16(POLLIN | POLLERR | POLLHUP) != 0
                    let writable = entry.revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0
                    ares_process_fd(channels[channel], readable ? entry.fd : bad, writable ? entry.fd : bad)
                }
            }
            // Retries and c-ares's own timeouts.
            for channel in channels { ares_process_fd(channel, mailform_ares_socket_bad, mailform_ares_socket_bad) }
        }
        mailbox.failQueued(.other("the DNS client has shut down"))
        destroyChannels()
    }

    private func start(_ query: DNSQuery) {
        let context = InFlightQuery(query: query, deadline: .now + queryTimeout, loop: self)
        inFlight[ObjectIdentifier(context)] = context
        mailbox.recordStarted(inFlight: inFlight.count)
        guard !query.name.utf8.contains(0) else {
            finish(context, result: .failure(.other("the name cannot be queried (it contains a NUL byte)")))
            return
        }
        ask(context)
    }

    /// Sends the query on its channel; the answer comes to `answered`.
    private func ask(_ context: InFlightQuery) {
        guard !context.expired else {
            // The deadline answered it while it waited for its retry.
            inFlight.removeValue(forKey: ObjectIdentifier(context))
            return
        }
        context.answersBeforeTry = channelAnswers[context.channel]
        let arg = Unmanaged.passRetained(context).toOpaque()
        // The callback may run before ares_query returns (a name c-ares
        // cannot encode): `context` is already registered for that.
        ares_query(channels[context.channel], context.query.name, 1 /* class IN */, context.query.type.rawValue, { arg, status, _, answer, length in
            guard let arg else { return }
            let context = Unmanaged<InFlightQuery>.fromOpaque(arg).takeRetainedValue()
            let result = DNSReplyParser.result(status: status, type: context.query.type, answer: answer, length: length)
            context.loop.answered(context, status: status, result: result)
        }, arg)
    }

    /// c-ares is done with one try. SERVFAIL and REFUSED move the query to
    /// the next server (issue 22: fail-over that NOCHECKRESP gives up); a
    /// connection that went away asks the same server again, a bounded
    /// number of times, then the next. Retries are sent by the loop, not
    /// from inside c-ares's callback.
    private func answered(_ context: InFlightQuery, status: Int32, result: DNSResult) {
        let connectionLost = status == ARES_ECONNREFUSED
        if !connectionLost && status != ARES_ETIMEOUT { channelAnswers[context.channel] += 1 }
        if !context.expired {
            let serverSaidNo = status == ARES_ESERVFAIL || status == ARES_EREFUSED
            let serverAlive = channelAnswers[context.channel] > context.answersBeforeTry
            if connectionLost && (context.connectionRetries < Self.connectionRetries
                                  || (serverAlive && context.connectionRetries < Self.maxConnectionRetries)) {
                context.connectionRetries += 1
                retries.append(context)
                return
            }
            if (serverSaidNo || connectionLost) && context.channel + 1 < channels.count {
                context.channel += 1
                context.connectionRetries = 0
                retries.append(context)
                return
            }
        }
        finish(context, result: result)
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
    private func pollTimeout() -> Int32 {
        guard !inFlight.isEmpty else { return -1 }
        let now = ContinuousClock.now
        var milliseconds = Int.max
        var value = timeval()
        for channel in channels {
            if let next = ares_timeout(channel, nil, &value) {
                milliseconds = min(milliseconds, Int(next.pointee.tv_sec) * 1000 + (Int(next.pointee.tv_usec) + 999) / 1000)
            }
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

    fileprivate func socketStateChanged(_ socket: ares_socket_t, read: Bool, write: Bool, channel: Int) {
        if read || write {
            sockets[socket] = (read, write, channel)
        } else {
            sockets.removeValue(forKey: socket)
        }
    }
}
