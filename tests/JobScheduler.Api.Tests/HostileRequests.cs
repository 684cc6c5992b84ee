using System.Text;
using CsCheck;
using JobScheduler.Core;

namespace JobScheduler.Api.Tests;

/// <summary>One generated request: sent through <see cref="HttpClient"/>, or as raw bytes when HttpClient would refuse to send it (CR/LF in a header).</summary>
internal sealed record HostileRequest(string Method, string Path, byte[]? Body, IReadOnlyList<(string Name, string Value)> Headers, byte[]? Raw = null, string? FreshJobId = null, string? FreshDagId = null)
{
    public override string ToString()
    {
        var body = Raw ?? Body;
        var shown = body is null ? "" : Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
        return $"{Method} {Path} [{string.Join("; ", Headers.Select(h => $"{h.Name}: {h.Value[..Math.Min(h.Value.Length, 60)]}"))}] {(Raw is null ? "" : "(raw) ")}{body?.Length ?? 0} bytes: {shown}";
    }
}

/// <summary>
/// Generators of malformed and hostile requests over every route (issue 11): wrong types, huge strings, deep JSON,
/// invalid UTF-8, path-traversal and control-character ids, header injection, extreme instants and durations, huge
/// numbers, unknown enum values, bad limits and cursors. Every body is invalid by construction and every id that a
/// request could change is absent, so no request may change stored state.
/// </summary>
internal static class HostileRequests
{
    /// <summary>A job and a DAG the property test stores first; only invalid PUTs are aimed at them.</summary>
    public const string KeptJob = "kept-job";
    public const string KeptDag = "kept-dag";

    private const string ValidAction = """{"kind":"http","url":"https://example.com/hook"}""";

    /// <summary>Ids that name nothing stored: traversal, control characters, encodings, sizes (already escaped for a path).</summary>
    private static readonly Gen<string> HostileId = Gen.OneOf(
        Gen.OneOf(
            "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..", "a%00b", "%0d%0aX-Injected:%201", "%C3%28", "%FF%FE%00", "%E2%80%AE",
            "job%20with%20space", "-dash", ".hidden", "a%2Fb", "a%5Cb", "%25", "null", "undefined", "0", "-1",
            "%7B%22id%22%3A1%7D", "x%3Ay%40z", "run%4019700101T000000.0000000Z", "%40", "%3A", "~", "%27%20OR%201%3D1--",
            new string('a', 129), new string('b', 4000), "%F0%9F%92%A5", "%20", "%09", "%20%20", "%0A", "%E3%80%80"),
        Gen.Char.Array[1, 40].Select(chars => Uri.EscapeDataString(new string(chars))).Where(id => id.Length > 0 && id != KeptJob && id != KeptDag));

    /// <summary>Hostile ids that no job or DAG may have, for requests whose body is otherwise valid.</summary>
    private static readonly Gen<string> InvalidId = HostileId.Where(id => JobSpecValidator.ValidateId(Uri.UnescapeDataString(id)).Count > 0);

    private static readonly Gen<string> HugeString = Gen.Int[1, 5].Select(k => new string('x', k switch { 1 => 201, 2 => 5_000, 3 => 70_000, 4 => 300_000, _ => 900_000 }));

    private static readonly Gen<string> BadInstant = Gen.OneOf(
        "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59.9999999Z\"", "\"1999-12-31T23:59:59Z\"", "\"9000-01-01T00:00:00Z\"",
        "\"0001-01-01T00:00:00+14:00\"", "\"9999-12-31T23:59:59-14:00\"", "\"not a date\"", "\"2026-02-30T00:00:00Z\"", "1e308", "-1",
        "\"\"", "[]", "{}", "true", "\"2026-01-01T25:00:00Z\"", "\"+275760-09-13T00:00:00Z\"");

    private static readonly Gen<string> BadDuration = Gen.OneOf(
        "\"P10000Y\"", "\"P99999999D\"", "\"PT0S\"", "\"-PT1S\"", "\"P1Q\"", "\"PT\"", "12345", "\"\"", "null", "\"P1000000000000Y\"",
        "\"PT0.0000001S\"", "\"P3661D\"", "[\"PT1S\"]", "1e400", "\"PT99999999999999999999S\"");

    private static Gen<string> Deep(string open, string close) =>
        Gen.Int[65, 5_000].Select(depth => string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)));

    /// <summary>A schedule that breaks a rule, or a value of the wrong type where a schedule goes.</summary>
    private static readonly Gen<string> BadSchedule = Gen.OneOf(
        BadDuration.Select(d => $$"""{"kind":"interval","every":{{d}}}"""),
        BadInstant.Select(i => $$"""{"kind":"once","at":{{i}}}"""),
        BadInstant.Select(i => $$"""{"kind":"interval","every":"PT1H","startAt":{{i}}}"""),
        Gen.OneOf("\"weekly\"", "3", "null", "[\"once\"]", "\"ONCE\"", "\"0\"").Select(k => $$"""{"kind":{{k}}}"""),
        Gen.OneOf("\"* * *\"", "\"61 * * * *\"", "\"0 0 30 2 *\"", "\"@never\"", "\"\\u0000\"", "7", "\"* * * * * * * *\"")
            .Select(e => $$"""{"kind":"cron","expression":{{e}}}"""),
        Gen.OneOf("\"../../../../etc/passwd\"", "\"Mars/Olympus\"", "\"\\u0000\"", "\"/etc/localtime\"", "\"UTC\\r\\nX: 1\"", "1")
            .Select(z => $$"""{"kind":"cron","expression":"0 * * * *","timeZone":{{z}}}"""),
        HugeString.Select(s => $$"""{"kind":"cron","expression":"{{s}}"}"""),
        Gen.OneOf("\"once\"", "[]", "1", "true", "{\"kind\":\"once\",\"at\":\"2030-01-01T00:00:00Z\",\"evil\":1}"));

    private static readonly Gen<string> BadAction = Gen.OneOf(
        Gen.OneOf("\"shell\"", "0", "null", "[]").Select(k => $$"""{"kind":{{k}}}"""),
        Gen.OneOf("\"file:///etc/passwd\"", "\"http://a\\r\\nb\"", "\"not a url\"", "\"\"", "\"gopher://x\"", "1", "\"http://\\u0000\"")
            .Select(u => $$"""{"kind":"http","url":{{u}}}"""),
        HugeString.Select(s => $$"""{"kind":"http","url":"https://example.com/{{s}}{{new string('u', InputLimits.MaxUrlLength)}}"}"""),
        Gen.OneOf("{\"X-A\":\"v\\r\\nX-Injected: 1\"}", "{\"Bad Name\":\"v\"}", "{\"\":\"v\"}", "{\"X\":1}", "[]", "{\"X\":null}")
            .Select(h => $$"""{"kind":"http","url":"https://example.com","headers":{{h}}}"""),
        Gen.Int[257, 400].Select(n => $$"""{"kind":"http","url":"https://example.com","body":"{{new string('b', n * 1024)}}"}"""),
        Gen.OneOf("\"TRACE\\r\\n\"", "\"CONNECT\"", "\"\"", "7").Select(m => $$"""{"kind":"http","url":"https://example.com","method":{{m}}}"""),
        Gen.OneOf("\"sh\\u0000\"", $"\"{new string('c', 5000)}\"", "\"\"", "[\"sh\"]").Select(c => $$"""{"kind":"command","command":{{c}}}"""),
        Gen.Int[1025, 3000].Select(n => $$"""{"kind":"command","command":"echo","args":[{{string.Join(",", Enumerable.Repeat("\"a\"", n))}}]}"""),
        Gen.OneOf("{\"A=B\":\"v\"}", "{\"A\":\"v\\u0000\"}", "{\"\":\"v\"}", "{\"A\":1}", "[\"A=1\"]")
            .Select(e => $$"""{"kind":"command","command":"echo","env":{{e}}}"""),
        Gen.OneOf("\"/nonexistent/dir\"", "\"/tmp\\u0000\"", "\"/tmp\\n\"", "1").Select(w => $$"""{"kind":"command","command":"echo","workingDirectory":{{w}}}"""),
        Gen.OneOf("\"nope\"", "\"\"", "\"noop\\r\\n\"", "1").Select(h => $$"""{"kind":"handler","handler":{{h}}}"""),
        Deep("[", "]").Select(p => $$"""{"kind":"handler","handler":"nope","payload":{{p}}}"""),
        Gen.Const("""{"kind":"handler","handler":"noop","payload":{"a":"x\u0000y"}}"""),
        Gen.Int[70, 200].Select(k => $$"""{"kind":"handler","handler":"noop","payload":"{{new string('p', k * 1024)}}"}"""));

    /// <summary>A job body that breaks exactly one rule (or several), never a valid one.</summary>
    public static readonly Gen<string> BadJobBody = Gen.OneOf(
        BadSchedule.Select(s => $$"""{"schedule":{{s}},"action":{{ValidAction}}}"""),
        BadAction.Select(a => $$"""{"schedule":{"kind":"manual"},"action":{{a}}}"""),
        Gen.OneOf(
            "\"priority\":\"high\"", "\"priority\":1e400", "\"priority\":2147483648", "\"priority\":-1", "\"priority\":10", "\"priority\":1.5",
            "\"tags\":[]", "\"tags\":{\"k\":1}", "\"tags\":{\"a:b\":\"v\"}", "\"tags\":{\"\":\"v\"}", "\"tags\":{\"k\":null}",
            "\"retry\":\"yes\"", "\"retry\":{\"maxAttempts\":-1}", "\"retry\":{\"maxAttempts\":1000000000}", "\"retry\":{\"multiplier\":1e308}",
            "\"retry\":{\"jitter\":-1}", "\"retry\":{\"initialBackoff\":\"P10000Y\",\"maxBackoff\":\"P20000Y\"}", "\"retry\":{\"maxBackoff\":\"P8D\"}",
            "\"retry\":{\"maxAttempts\":99999999999999999999}", "\"timeout\":\"P10000Y\"", "\"timeout\":\"P31D\"", "\"timeout\":5", "\"timeout\":\"-PT1S\"",
            "\"concurrency\":\"sometimes\"", "\"concurrency\":7", "\"misfire\":\"never\"", "\"misfire\":1", "\"name\":{\"a\":1}",
            "\"name\":\"a\\u0000b\"", "\"evil\":1", "\"resources\":{\"cpuMillis\":-1}", "\"resources\":{\"memoryMb\":2147483647}",
            "\"resources\":{\"limits\":{\"memoryMb\":0}}", "\"resources\":{\"cpuMillis\":1e10}", "\"schedule\":null", "\"action\":null")
            .Select(extra => $$"""{"schedule":{"kind":"manual"},"action":{{ValidAction}},{{extra}}}"""),
        HugeString.Select(s => $$"""{"name":"{{s}}","schedule":{"kind":"manual"},"action":{{ValidAction}}}"""),
        Gen.Int[65, 300].Select(n => $$"""{"schedule":{"kind":"manual"},"action":{{ValidAction}},"tags":""" + "{" + string.Join(",", Enumerable.Range(0, n).Select(i => $"\"t{i}\":\"v\"")) + "}}"),
        Gen.Const($$"""{"schedule":{"kind":"manual"},"action":{{ValidAction}},"tags":{""" + $"\"{new string('k', 64)}\":\"v\"}}}}"));

    private static string NoopStep(string id, string extra = "") => $$"""{"id":"{{id}}","action":{"kind":"handler","handler":"noop"}{{extra}}}""";

    /// <summary>A DAG body that breaks a rule.</summary>
    public static readonly Gen<string> BadDagBody = Gen.OneOf(
        BadSchedule.Select(s => $$"""{"schedule":{{s}},"steps":[{{NoopStep("a")}}]}"""),
        BadAction.Select(a => $$"""{"steps":[{"id":"a","action":{{a}}}]}"""),
        Gen.OneOf(
            "[]", "null", "{}", "[null]", "\"a\"",
            $"[{NoopStep("a", ",\"dependsOn\":[\"b\"]")},{NoopStep("b", ",\"dependsOn\":[\"a\"]")}]",
            $"[{NoopStep("a", ",\"dependsOn\":[\"a\"]")}]", $"[{NoopStep("a", ",\"dependsOn\":[\"zz\"]")}]",
            $"[{NoopStep("a")},{NoopStep("a")}]", $"[{NoopStep("a-b")},{NoopStep("a_b")}]", $"[{NoopStep("../x")}]", $"[{NoopStep("")}]",
            $"[{NoopStep("a", ",\"condition\":\"maybe\"")}]", $"[{NoopStep("a", ",\"priority\":99")}]",
            $"[{NoopStep("a", ",\"waitFor\":{\"job\":\"x\",\"dag\":\"y\"}")}]", $"[{NoopStep("a", ",\"waitFor\":{}")}]",
            $"[{NoopStep("a", ",\"waitFor\":{\"job\":\"x\",\"within\":\"P10000Y\"}")}]", $"[{NoopStep("a", ",\"waitFor\":{\"job\":\"x\",\"timeout\":\"P31D\"}")}]",
            $"[{NoopStep("a", ",\"waitFor\":{\"job\":\"../x\"}")}]", $"[{NoopStep("a", ",\"timeout\":\"P10000Y\"")}]",
            $"[{NoopStep("a", ",\"retry\":{\"initialBackoff\":\"P30D\",\"maxBackoff\":\"P30D\"}")}]",
            $"[{NoopStep("a", ",\"dependsOn\":[" + string.Join(",", Enumerable.Repeat("\"a\"", 5000)) + "]")}]")
            .Select(steps => $$"""{"steps":{{steps}}}"""),
        Gen.Int[1001, 1500].Select(n => $$"""{"steps":[{{string.Join(",", Enumerable.Range(0, n).Select(i => NoopStep($"s{i}")))}}]}"""),
        Gen.Int[1, 200].Select(n => $$"""{"steps":[{{string.Join(",", Enumerable.Range(0, n).Select(i => NoopStep($"s{i}", $",\"dependsOn\":[\"s{(i + 1) % n}\"]")))}}]}"""),
        Gen.OneOf("\"concurrency\":\"x\"", "\"misfire\":2.5", "\"tags\":{\"k\":[]}", "\"name\":1", "\"evil\":{}")
            .Select(extra => $$"""{"steps":[{{NoopStep("a")}}],{{extra}}}"""));

    /// <summary>Bodies wrong as JSON itself: too deep, truncated, invalid UTF-8, not an object.</summary>
    private static readonly Gen<byte[]> BrokenJson = Gen.OneOf(
        Deep("[", "]").Select(Encoding.UTF8.GetBytes),
        Deep("{\"a\":", "}").Select(Encoding.UTF8.GetBytes),
        Deep("{\"schedule\":", "}").Select(Encoding.UTF8.GetBytes),
        Gen.OneOf("{\"schedule\":", "{", "}", "[]", "null", "\"str\"", "123", "{\"a\" 1}", "{'a':1}", "{\"a\":1,}", "\u0000", "{\"schedule\":{\"kind\":\"manual\"}}}")
            .Select(Encoding.UTF8.GetBytes),
        Gen.OneOf<byte[]>(
            [0xFF, 0xFE, 0xFD], [0xC3, 0x28], [0xEF, 0xBB, 0xBF, 0xFF], [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],
            [.. "{\"name\":\""u8, 0xC0, 0xAF, .. "\",\"schedule\":{\"kind\":\"manual\"},\"action\":{\"kind\":\"http\",\"url\":\"https://example.com\"}}"u8],
            [.. "{\"name\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8],
            [.. "{\"steps\":[{\"id\":\""u8, 0xF8, 0x88, 0x80, 0x80, 0x80, .. "\"}]}"u8]),
        Gen.Byte.Array[1, 2_000]);

    private static readonly Gen<string> BadQuery = Gen.OneOf(
        "limit=-1", "limit=0", "limit=abc", "limit=99999999999", "limit=1e3", "limit=501", "limit=%00", "state=exploded", "state=1",
        "state=%0d%0a", "cursor=garbage", "cursor=%00%01", "cursor=" + new string('A', 5000), "cursor=MTIzfA", "cursor=LTF8eA",
        "cursor=OTIyMzM3MjAzNjg1NDc3NTgwN3x4", "owner=" + new string('o', 3000), "tag=%3A%3A%3A", "tag=%00", "from=garbage",
        "to=0001-01-01T00:00:00%2B14:00", "from=99999-01-01", "limit=1&limit=2", "state=running&state=failed", "%00=%00");

    private static readonly Gen<(string Name, string Value)> BadHeader = Gen.OneOf(
        ("Idempotency-Key", new string('k', 5_000)), ("Idempotency-Key", "key\tmid"), ("Idempotency-Key", ""), ("X-Api-Key", new string('u', 8_000)),
        ("X-Api-Key", "js_ _ "), ("Content-Type", "text/plain"), ("Content-Type", "application/json; charset=utf-16"), ("Accept", "*/*;q=x"),
        ("Content-Encoding", "gzip"), ("Transfer-Encoding", "identity"));

    private static Gen<HostileRequest> Json(string method, Gen<string> path, Gen<string> body) =>
        Gen.Select(path, body, BadHeader.Array[0, 2], (p, b, h) => new HostileRequest(method, p, Encoding.UTF8.GetBytes(b), h));

    private static Gen<HostileRequest> Bytes(string method, Gen<string> path) =>
        Gen.Select(path, BrokenJson, (p, b) => new HostileRequest(method, p, b, []));

    private static Gen<HostileRequest> NoBody(string method, Gen<string> path) =>
        Gen.Select(path, BadHeader.Array[0, 1], (p, h) => new HostileRequest(method, p, null, h));

    /// <summary>Fresh, well-formed ids: a refused PUT to one must leave it absent (GET 404).</summary>
    private static readonly Gen<string> FreshId = Gen.Int[0, 1_000_000].Select(n => $"fresh-{n}");

    private static readonly Gen<HostileRequest> PutJob = Gen.OneOf(
        Gen.Select(FreshId, BadJobBody, (id, body) => new HostileRequest("PUT", $"/api/jobs/{id}", Encoding.UTF8.GetBytes(body), [], FreshJobId: id)),
        Json("PUT", Gen.Const($"/api/jobs/{KeptJob}"), BadJobBody),
        Json("PUT", HostileId.Select(id => $"/api/jobs/{id}"), BadJobBody),
        Json("PUT", InvalidId.Select(id => $"/api/jobs/{id}"), Gen.Const($$"""{"schedule":{"kind":"manual"},"action":{{ValidAction}}}""")),
        Bytes("PUT", Gen.OneOf(FreshId, Gen.Const(KeptJob)).Select(id => $"/api/jobs/{id}")));

    private static readonly Gen<HostileRequest> PutDag = Gen.OneOf(
        Gen.Select(FreshId, BadDagBody, (id, body) => new HostileRequest("PUT", $"/api/dags/{id}", Encoding.UTF8.GetBytes(body), [], FreshDagId: id)),
        Json("PUT", Gen.Const($"/api/dags/{KeptDag}"), BadDagBody),
        Json("PUT", InvalidId.Select(id => $"/api/dags/{id}"), Gen.Const($$"""{"steps":[{{NoopStep("a")}}]}""")),
        Bytes("PUT", Gen.OneOf(FreshId, Gen.Const(KeptDag)).Select(id => $"/api/dags/{id}")));

    private static readonly Gen<HostileRequest> Batch = Gen.OneOf(
        Gen.Select(BadJobBody.Array[1, 5], FreshId, (items, id) => new HostileRequest("POST", "/api/jobs/batch",
            Encoding.UTF8.GetBytes($$"""{"jobs":[{{string.Join(",", items.Select((item, i) => $"{{\"id\":\"{id}-{i}\",{item[1..]}"))}}]}"""), [])),
        Json("POST", Gen.Const("/api/jobs/batch"), Gen.OneOf(
            "{\"jobs\":[]}", "{\"jobs\":null}", "{\"jobs\":[null]}", "{\"jobs\":{}}", "{\"jobs\":\"x\"}", "{}", "{\"jobs\":[1,2]}",
            $$"""{"jobs":[{"id":"dup","schedule":{"kind":"manual"},"action":{{ValidAction}}},{"id":"dup","schedule":{"kind":"manual"},"action":{{ValidAction}}}]}""",
            $$"""{"jobs":[{"id":"../x","schedule":{"kind":"manual"},"action":{{ValidAction}}}]}""",
            $$"""{"jobs":[{{string.Join(",", Enumerable.Repeat("{}", 1001))}}]}""")),
        Bytes("POST", Gen.Const("/api/jobs/batch")));

    private static readonly Gen<HostileRequest> Reads = Gen.OneOf(
        NoBody("GET", HostileId.Select(id => $"/api/jobs/{id}")),
        NoBody("GET", HostileId.Select(id => $"/api/dags/{id}")),
        NoBody("GET", HostileId.Select(id => $"/api/executions/{id}")),
        NoBody("GET", HostileId.Select(id => $"/api/dag-runs/{id}")),
        NoBody("GET", HostileId.Select(id => $"/api/nodes/{id}")),
        NoBody("GET", BadQuery.Select(q => $"/api/jobs?{q}")),
        NoBody("GET", BadQuery.Select(q => $"/api/dags?{q}")),
        NoBody("GET", Gen.Select(Gen.OneOf(HostileId, Gen.Const(KeptJob)), BadQuery, (id, q) => $"/api/jobs/{id}/executions?{q}")),
        NoBody("GET", Gen.Select(Gen.OneOf(HostileId, Gen.Const(KeptDag)), BadQuery, (id, q) => $"/api/dags/{id}/runs?{q}")),
        NoBody("GET", BadQuery.Select(q => $"/api/stats?{q}")),
        NoBody("GET", BadQuery.Select(q => $"/api/nodes?{q}")));

    private static readonly Gen<HostileRequest> Commands = Gen.OneOf(
        NoBody("DELETE", HostileId.Select(id => $"/api/jobs/{id}")),
        NoBody("DELETE", HostileId.Select(id => $"/api/dags/{id}")),
        NoBody("POST", Gen.Select(HostileId, Gen.OneOf("pause", "resume", "trigger"), (id, verb) => $"/api/jobs/{id}/{verb}")),
        NoBody("POST", Gen.Select(HostileId, Gen.OneOf("pause", "resume", "trigger"), (id, verb) => $"/api/dags/{id}/{verb}")),
        NoBody("POST", Gen.Select(HostileId, Gen.OneOf("cancel", "retry"), (id, verb) => $"/api/dag-runs/{id}/{verb}")),
        NoBody("POST", HostileId.Select(id => $"/api/executions/{id}/cancel")),
        Json("POST", Gen.Const($"/api/jobs/{KeptJob}/trigger"), Gen.OneOf(
            "{\"timeout\":\"P10000Y\"}", "{\"retry\":{\"initialBackoff\":\"P10000Y\",\"maxBackoff\":\"P10000Y\"}}", "{\"action\":{\"kind\":\"nope\"}}",
            "{\"action\":{\"kind\":\"http\",\"url\":\"http://a\\r\\nb\"}}", "{\"evil\":1}", "[]", "{\"timeout\":1}")),
        Json("POST", Gen.Const($"/api/dags/{KeptDag}/trigger"), Gen.OneOf(
            "{\"parameters\":{\"1bad\":\"v\"}}", "{\"parameters\":{\"a\":\"v\\u0000\"}}", "{\"parameters\":{\"a\":1}}", "{\"parameters\":[]}",
            "{\"parameters\":{\"a\":\"" + new string('v', 70_000) + "\"}}", "{\"parameters\":{\"a\":\"x\",\"A\":\"y\"}}",
            "{\"parameters\":{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"p{i}\":\"v\"")) + "}}")),
        Bytes("POST", Gen.OneOf($"/api/jobs/{KeptJob}/trigger", $"/api/dags/{KeptDag}/trigger", "/api/jobs")),
        Json("POST", Gen.Const("/api/jobs"), BadJobBody),
        Json("PUT", HostileId.Select(id => $"/api/nodes/{id}"), Gen.OneOf("{\"state\":\"draining\"}", "{\"state\":\"exploded\"}", "{\"state\":1}", "{}", "[]")),
        Bytes("PUT", HostileId.Select(id => $"/api/nodes/{id}")),
        NoBody("PATCH", Gen.OneOf("/api/jobs/x", "/api/dags/x", "/api/stats")),
        NoBody("TRACE", Gen.Const("/api/jobs")));

    /// <summary>Requests HttpClient refuses to build, as a hostile client writes them on the socket (aimed at a job that does not exist).</summary>
    private static readonly Gen<HostileRequest> RawRequests = Gen.OneOf(
        Gen.OneOf(
            "X-Api-Key: js_a_b\r\nX-Injected: 1", "X-Api-Key: a\rb", "Authorization: Bearer a\nb", "Idempotency-Key: a\rb", "Idempotency-Key: \0", "X-Api-Key: \u0001",
            "X-Api-Key: js_caf\u00e9_x", "Idempotency-Key: \u00ff\u00fe", "Authorization: Bearer " + new string('u', 40_000), "Content-Length: -1", "Content-Length: abc",
            "Transfer-Encoding: chunked\r\n\r\nzz", "Host: a\r\nHost: b")
            .Select(header => new HostileRequest("RAW", "/api/jobs/absent-job/trigger", null, [], Raw: Encoding.Latin1.GetBytes(
                $"POST /api/jobs/absent-job/trigger HTTP/1.1\r\nHost: localhost\r\n{header}\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))),
        Gen.OneOf(
            "GET /api/jobs/../../../etc/passwd HTTP/1.1", "GET /api/jobs/%2e%2e/%2e%2e/ HTTP/1.1", "GET /api/jobs/a\u0001b HTTP/1.1",
            "PUT /api/jobs/a b HTTP/1.1", "GET /api/jobs?limit=\u0000 HTTP/1.1", "GET http://evil.example/api/jobs HTTP/1.1",
            "DELETE /api/jobs/" + new string('x', 20_000) + " HTTP/1.1", "GET /api/jobs HTTP/1.1x", "BREW /api/jobs HTTP/1.1")
            .Select(line => new HostileRequest("RAW", line[..Math.Min(line.Length, 80)], null, [], Raw: Encoding.Latin1.GetBytes($"{line}\r\nHost: localhost\r\nConnection: close\r\n\r\n"))));

    /// <summary>Every kind of hostile request, weighted towards the writes that could change state.</summary>
    public static readonly Gen<HostileRequest> Any = Gen.Frequency(
        (5, PutJob), (3, PutDag), (2, Batch), (3, Reads), (3, Commands), (1, RawRequests));
}
