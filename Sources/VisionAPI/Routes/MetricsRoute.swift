import Hummingbird
import JobQueue
import NIOCore
import VisionEngine

/// `GET /metrics`: Prometheus text — what each family adds (the SAM3 embedding cache) and, when the job queue runs, jobs by
/// status, finished jobs by outcome, retries, lost leases and run times.
struct MetricsRoute {
    let dependencies: APIDependencies

    func register(on router: Router<BasicRequestContext>) {
        let deps = dependencies
        router.get("/metrics") { _, _ in
            var text = ""
            for family in deps.families.families { text += await family.metrics?() ?? "" }
            if let jobs = deps.jobs {
                let counts = try await jobs.store.counts()
                let m = await jobs.metrics.current()
                text += "# HELP vma_jobs Jobs in the store by status (pending = queue depth).\n# TYPE vma_jobs gauge\n"
                for status in JobStatus.allCases { text += "vma_jobs{status=\"\(status.rawValue)\"} \(counts[status] ?? 0)\n" }
                text += "# HELP vma_jobs_finished_total Jobs this process finished, by outcome.\n"
                text += "# TYPE vma_jobs_finished_total counter\n"
                for (name, value) in [("completed", m.completed), ("failed", m.failed), ("cancelled", m.cancelled)] {
                    text += "vma_jobs_finished_total{outcome=\"\(name)\"} \(value)\n"
                }
                text += "# TYPE vma_jobs_retried_total counter\nvma_jobs_retried_total \(m.retried)\n"
                text += "# TYPE vma_jobs_leases_lost_total counter\nvma_jobs_leases_lost_total \(m.leasesLost)\n"
                text += "# HELP vma_job_run_seconds Time jobs ran in this process.\n# TYPE vma_job_run_seconds summary\n"
                text += "vma_job_run_seconds_sum \(m.runSecondsTotal)\n"
                text += "vma_job_run_seconds_count \(m.completed + m.failed + m.cancelled + m.retried)\n"
                text += "# TYPE vma_job_run_seconds_max gauge\nvma_job_run_seconds_max \(m.runSecondsMax)\n"
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
