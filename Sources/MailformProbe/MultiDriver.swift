import CCurl
import Foundation

/// Runs many transfers on one curl multi handle, at most `concurrency` at a
/// time (and one at a time per `group`, for rate-limited APIs), on the
/// calling thread. No thread per probe: a thousand endpoints cost one poll loop.
///
/// A job with a `dialogue` is a `CONNECT_ONLY` transfer: when libcurl has
/// connected (TLS included), the connection stays in the multi handle and the
/// dialogue speaks on it (`curl_easy_send`/`recv`, non-blocking, polled with
/// the others) until it is over; only then is the handle removed, which
/// closes the connection.
final class MultiDriver {
    struct Job {
        var transfer: CurlTransfer
        /// Jobs of one group never run at the same time (one provider key).
        var group: String?
        var dialogue: ((CurlTransfer) -> SMTPDialogue)?
        var done: (CurlTransfer, CURLcode) -> Void

        init(transfer: CurlTransfer, group: String?, dialogue: ((CurlTransfer) -> SMTPDialogue)? = nil,
             done: @escaping (CurlTransfer, CURLcode) -> Void) {
            self.transfer = transfer
            self.group = group
            self.dialogue = dialogue
            self.done = done
        }
    }

    let concurrency: Int
    var onProgress: ((Int, Int) -> Void)?
    /// The whole run's deadline: past it, every transfer still running or
    /// queued ends at once, marked `cutByDeadline` (fail closed: its
    /// endpoint was not probed).
    let deadline: Date?

    init(concurrency: Int, deadline: Date? = nil) {
        self.concurrency = max(1, concurrency)
        self.deadline = deadline
    }

    func run(_ jobs: [Job]) {
        _ = CurlGlobal.initialized
        guard !jobs.isEmpty else { return }
        guard let multi = curl_multi_init() else {
            // Fail closed: every job learns that it never ran.
            for job in jobs { job.done(job.transfer, CURLE_FAILED_INIT) }
            return
        }
        defer { curl_multi_cleanup(multi) }
        var queue = jobs
        var running: [UnsafeMutableRawPointer: Job] = [:]
        var talking: [UnsafeMutableRawPointer: (job: Job, dialogue: SMTPDialogue)] = [:]
        var busyGroups = Set<String>()
        var finished = 0

        func startMore() {
            var index = 0
            while running.count + talking.count < concurrency, index < queue.count {
                let job = queue[index]
                if let group = job.group, busyGroups.contains(group) {
                    index += 1
                    continue
                }
                queue.remove(at: index)
                if let group = job.group { busyGroups.insert(group) }
                running[job.transfer.handle] = job
                job.transfer.started = Date()
                curl_multi_add_handle(multi, job.transfer.handle)
            }
        }

        func finish(_ job: Job, _ code: CURLcode) {
            curl_multi_remove_handle(multi, job.transfer.handle)
            if let group = job.group { busyGroups.remove(group) }
            job.done(job.transfer, code)
            finished += 1
            onProgress?(finished, jobs.count)
        }

        func cutAll() {
            for job in Array(running.values) + talking.values.map(\.job) {
                job.transfer.cutByDeadline = true
                finish(job, CURLE_OPERATION_TIMEDOUT)
            }
            running.removeAll()
            talking.removeAll()
            for job in queue {
                job.transfer.cutByDeadline = true
                job.done(job.transfer, CURLE_OPERATION_TIMEDOUT)
                finished += 1
                onProgress?(finished, jobs.count)
            }
            queue.removeAll()
        }

        if let deadline, Date() >= deadline {
            cutAll()
            return
        }
        startMore()
        var stillRunning: Int32 = 0
        while !running.isEmpty || !talking.isEmpty {
            if let deadline, Date() >= deadline {
                cutAll()
                break
            }
            curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                      let job = running.removeValue(forKey: handle) else { continue }
                let code = mf_msg_result(message)
                if code == CURLE_OK, let make = job.dialogue {
                    // Connected: the dialogue takes over the same connection.
                    talking[handle] = (job, make(job.transfer))
                } else {
                    finish(job, code)
                }
            }
            for (handle, session) in talking where session.dialogue.step(session.job.transfer) {
                talking.removeValue(forKey: handle)
                finish(session.job, CURLE_OK)
            }
            startMore()
            if running.isEmpty && talking.isEmpty { break }
            // Wake for libcurl's sockets and the dialogues' sockets alike.
            var extra = talking.values.compactMap { session -> curl_waitfd? in
                guard let socket = session.job.transfer.activeSocket else { return nil }
                var events = Int16(CURL_WAIT_POLLIN)
                if session.dialogue.wantsWrite { events |= Int16(CURL_WAIT_POLLOUT) }
                return curl_waitfd(fd: socket, events: events, revents: 0)
            }
            // TLS may hold decrypted bytes the socket no longer signals: poll briefly while talking.
            let wait: Int32 = talking.isEmpty ? 100 : 5
            extra.withUnsafeMutableBufferPointer { fds in
                _ = curl_multi_poll(multi, fds.baseAddress, UInt32(fds.count), wait, nil)
            }
        }
    }
}
