import CCurl
import Foundation

/// Runs many transfers on one curl multi handle, at most `concurrency` at a
/// time (and one at a time per `group`, for rate-limited APIs), on the
/// calling thread. No thread per probe: a thousand endpoints cost one poll loop.
final class MultiDriver {
    struct Job {
        var transfer: CurlTransfer
        /// Jobs of one group never run at the same time (one Mailgun key).
        var group: String?
        var done: (CurlTransfer, CURLcode) -> Void
    }

    let concurrency: Int
    var onProgress: ((Int, Int) -> Void)?

    init(concurrency: Int) { self.concurrency = max(1, concurrency) }

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
        var busyGroups = Set<String>()
        var finished = 0

        func startMore() {
            var index = 0
            while running.count < concurrency, index < queue.count {
                let job = queue[index]
                if let group = job.group, busyGroups.contains(group) {
                    index += 1
                    continue
                }
                queue.remove(at: index)
                if let group = job.group { busyGroups.insert(group) }
                running[job.transfer.handle] = job
                curl_multi_add_handle(multi, job.transfer.handle)
            }
        }

        startMore()
        var stillRunning: Int32 = 0
        while !running.isEmpty {
            curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                      let job = running.removeValue(forKey: handle) else { continue }
                let code = mf_msg_result(message)
                curl_multi_remove_handle(multi, handle)
                if let group = job.group { busyGroups.remove(group) }
                job.done(job.transfer, code)
                finished += 1
                onProgress?(finished, jobs.count)
            }
            startMore()
            if !running.isEmpty { curl_multi_poll(multi, nil, 0, 100, nil) }
        }
    }
}
