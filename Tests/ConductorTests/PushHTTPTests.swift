import Conductor
import Foundation
import Testing
import TestSupport

/// `conductor push` over smart HTTP with basic authentication: `git http-backend` behind a small
/// Python server on 127.0.0.1, the password in git's `store` credential helper in a temporary
/// HOME. This runs libgit2's credential callback, `git credential fill/approve/reject`, and a
/// refusal by the remote's pre-receive hook. (The ssh agent path cannot run here: no sshd.)
@Suite(.timeLimit(.minutes(3)), .enabled(if: Executable.find("python3", searchPath: ProcessInfo.processInfo.environment["PATH"]) != nil,
                                         "needs python3 for the HTTP server"))
struct PushHTTPTests {
    /// Serves the bare repositories under argv[1] over HTTP, for user argv[2] with password argv[3].
    private static let server = #"""
        import base64, http.server, os, signal, subprocess, sys

        # The test runner's children may inherit SIGTERM ignored or blocked; the test stops the server with it.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        root, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.serve()

            def do_POST(self):
                self.serve()

            def body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def serve(self):
                body = self.body()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                           REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                           CONTENT_LENGTH=str(len(body)), REMOTE_USER=user, REMOTE_ADDR="127.0.0.1")
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                head, _, rest = out.partition(b"\r\n\r\n" if b"\r\n\r\n" in out else b"\n\n")
                status, headers = 200, []
                for line in head.replace(b"\r\n", b"\n").split(b"\n"):
                    key, _, value = line.decode().partition(":")
                    if key.lower() == "status":
                        status = int(value.split()[0])
                    elif key:
                        headers.append((key, value.strip()))
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(rest)))
                self.end_headers()
                self.wfile.write(rest)

            def log_message(self, *arguments):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print(f"port {server.server_address[1]}", flush=True)
        server.serve_forever()
        """#

    private func tip(_ branch: String, in repository: String) throws -> String? {
        let result = try run(["git", "rev-parse", "--verify", "-q", "refs/heads/" + branch], in: repository)
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// A served bare repository `remote.git` added to `app` as `origin`, with the password in the
    /// `store` helper of the fixture's HOME. The caller stops the server.
    private func serve(_ fixture: BatchFixture, app: String) throws -> (server: BackgroundProcess, bare: String, store: String, port: String) {
        let root = fixture.directory.appending("served")
        let bare = root + "/remote.git"
        try fixture.git(fixture.directory.path, ["init", "-q", "--bare", "-b", "main", bare])
        let script = fixture.directory.appending("server.py")
        try Self.server.write(toFile: script, atomically: true, encoding: .utf8)
        let server = try BackgroundProcess(["python3", script, root, "alice", "s3cret"])
        #expect(waitUntil(timeout: 60) { server.output.hasPrefix("port ") && server.output.hasSuffix("\n") }, "\(server.output)")
        let port = server.output.dropFirst("port ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        let store = fixture.directory.appending("home/credentials")
        try "[credential]\n\thelper = store --file=\(store)\n".write(toFile: fixture.directory.appending("home/.gitconfig"), atomically: true, encoding: .utf8)
        try "http://alice:s3cret@127.0.0.1:\(port)\n".write(toFile: store, atomically: true, encoding: .utf8)
        try fixture.git(app, ["remote", "add", "origin", "http://127.0.0.1:\(port)/remote.git"])
        return (server, bare, store, port)
    }

    @Test func pushesWithTheHelpersPasswordAndReportsWhatTheRemoteRefuses() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "h", workers: 2)
        let (server, bare, store, port) = try serve(fixture, app: app)
        defer { server.stop() }
        let hook = bare + "/hooks/pre-receive"
        try writeExecutable("#!/bin/sh\nwhile read old new ref; do [ \"$ref\" = refs/heads/conductor/h/w1 ] && { echo 'w1 is frozen'; exit 1; }; done; exit 0\n", to: hook)

        let push = try fixture.conductor(["push", "-n", "h", "-d", fixture.store, "--json"], in: app)
        #expect(push.status == 1, "\(push.stdout)\n\(push.stderr)")
        let listed = try JSONSerialization.jsonObject(with: Data(push.stdout.utf8)) as? [[String: Any]] ?? []
        let pushed = try #require(listed.first { $0["branch"] as? String == "conductor/h/w0" })
        #expect(pushed["status"] as? String == "pushed", "\(pushed)")
        #expect(try tip("conductor/h/w0", in: bare) == (try tip("conductor/h/w0", in: app)))
        let refused = try #require(listed.first { $0["branch"] as? String == "conductor/h/w1" })
        #expect(refused["status"] as? String == "rejected", "\(refused)")
        #expect((refused["reason"] as? String)?.contains("origin refused it: pre-receive hook declined") == true, "\(refused)")
        #expect(try tip("conductor/h/w1", in: bare) == nil)
        #expect(try String(contentsOfFile: store, encoding: .utf8).contains("alice:s3cret"))

        try "http://alice:wrong@127.0.0.1:\(port)\n".write(toFile: store, atomically: true, encoding: .utf8)
        try fixture.git(fixture.store + "/h/app/w0", ["commit", "-q", "--allow-empty", "-m", "more"])
        let denied = try fixture.conductor(["push", "-n", "h", "-d", fixture.store], in: app)
        #expect(denied.status == 1)
        #expect(denied.stdout.contains("failed to push conductor/h/w0") && denied.stdout.contains("refused the user name and password"),
                "\(denied.stdout)")
        #expect(!(try String(contentsOfFile: store, encoding: .utf8)).contains("wrong"), "a refused password stays in the helper")
    }

    @Test func showsUploadProgressOnlyWhenStderrIsATerminal() throws {
        let fixture = try BatchFixture()
        let app = try fixture.makeRepository("app")
        try fixture.runEchoBatch(in: app, name: "g", workers: 2)
        let (server, _, _, _) = try serve(fixture, app: app)
        defer { server.stop() }

        let quiet = try fixture.conductor(["push", "-n", "g", "-d", fixture.store, "--tasks", "t0"], in: app)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.stderr.contains("objects"), "\(quiet.stderr)")

        let command = [Binaries.conductor, "push", "-n", "g", "-d", fixture.store].joined(separator: " ")
        let terminal = try run(["script", "-qec", command, "/dev/null"], in: app, environment: fixture.environment)
        #expect(terminal.status == 0, "\(terminal.stdout)")
        #expect(terminal.stdout.contains(" objects, "), "\(terminal.stdout)")
    }
}
