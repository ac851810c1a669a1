import Dispatch
import Foundation
import Git
import Synchronization
import Testing
import TestSupport

/// libgit2 1.5's local transport lists every reference of the remote and then reads each one: a
/// reference another host's push deletes in between (its temporary `refs/conductor-push/…`)
/// failed the whole push or fetch with "reference … not found". Many hosts pushing and fetching
/// at once over a path remote must all succeed.
@Suite(.timeLimit(.minutes(3))) struct LocalRemoteListingRaceTests {
    @Test func hostsPushingAndFetchingAtOnceOverAPathRemoteAllSucceed() async throws {
        let remote = try LocalRemote(fileURL: false)
        let hosts = 8, pushesEach = 30
        let clones = try remote.hostClones(hosts)
        let failures = Mutex<[String]>([])
        try await offThePool {
            DispatchQueue.concurrentPerform(iterations: hosts) { host in
                do {
                    let repository = try Repository.open(at: clones[host])
                    let tip = try #require(try repository.branchTip("main"))
                    for round in 0..<pushesEach {
                        let branch = "h\(host)-\(round)"
                        try repository.createBranch(branch, at: tip, force: true)
                        let status = try repository.push(branch: branch, toRemote: "origin").status
                        guard case .pushed = status else { throw GitError(code: -1, message: "\(branch): \(status)", operation: "push") }
                        try repository.fetch(remote: "origin")
                    }
                } catch {
                    failures.withLock { $0.append("host \(host): \(error)") }
                }
            }
        }
        let failed = failures.withLock { $0 }
        #expect(failed == [], "\(failed.count) of \(hosts) hosts failed: \(failed.prefix(3))")
        #expect(try remote.strayReferences() == [])
    }
}
