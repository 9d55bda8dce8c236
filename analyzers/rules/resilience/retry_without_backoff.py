"""AGT601: a retry loop that tries again at once, or after the same constant pause."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator, Sequence
from typing import ClassVar

import libcst as cst

from agentsense.analyzers.detect.flow import (
    always_exits,
    block_statements,
    is_constant_true,
    may_leave,
)
from agentsense.analyzers.detect.names import words_of
from agentsense.analyzers.facts import ModuleFacts, dotted_name
from agentsense.analyzers.rule import Clean, Flagged, Rule
from agentsense.analyzers.rules.resilience._retry_quality import (
    QUALITY_CLEAN,
    QUALITY_FLAGGED,
    QUALITY_RATIONALE,
    retry_quality_problems,
    tenacity_problem,
)
from agentsense.analyzers.walk import (
    children,
    concrete_types,
    iter_subtree,
    iter_subtree_no_scopes,
)

# Counters and delays of a retry loop: reading them in the attempt does not make each attempt
# a different operation, and changing them between attempts is what backoff is.
RETRY_NAME = re.compile(r"attempt|retr|tries|tried|^tr(y|ial)|backoff|delay|wait|sleep|count")
# Retry counters: a `while` loop is a retry loop only when it counts its attempts.
RETRY_COUNTER = re.compile(r"attempt|retr|tries|tried|^tr(y|ial)|_try|try_")
# Errors of a busy or unreachable service (matched on the last name of the caught class or
# tuple constant, `RETRYABLE_HTTP_ERRORS` included). Parse errors, empty queues, EINTR and
# non-blocking "want read" signals are retried at once on purpose, so they are left out.
_TRANSIENT = re.compile(
    r"^(Exception|BaseException|OSError|IOError|EnvironmentError|URLError|SSLError)$"
    r"|Timeout|Connect|RateLimit|Unavailable|Throttl|Transient|Retr(y|iable|yable)|Temporar"
    r"|APIError|APIStatusError|HTTPError|HTTPStatusError|RequestException|RequestError"
    r"|ServerError|Network(Error|Exception)|ProtocolError|ServiceError|Overloaded"
    r"|TooManyRequests|BrokenPipe|GatewayError",
    re.IGNORECASE,
)
_BUILTINS = frozenset(dir(builtins))
_EXPRESSIONS = concrete_types(cst.BaseExpression)
_BACKOFF_DECORATOR_MODULES = ("backoff.", "tenacity.", "retrying.", "stamina.")
_BACKOFF_DECORATOR_NAMES = frozenset({"retry", "on_exception", "on_predicate", "retry_async"})
# Calls that read input from a person: asking again is the point, not a busy service.
_INTERACTIVE = frozenset({"input", "getpass.getpass", "click.prompt", "typer.prompt"})
# Loopback hosts: a loop that connects to one waits for a local server, not a shared service.
_LOOPBACK = ("localhost", "127.0.0.1", "0.0.0.0", "[::1]")
# Words of names a readiness poll reads (`wait_for_port`, `server.ready`, `HEALTH_URL`).
_READINESS_WORDS = frozenset({"port", "ready", "readiness", "health", "healthz", "healthcheck"})
# Calls that (re)start or feed a local child process.
_LOCAL_PROCESS_CALLS = frozenset({"start_process", "restart_process", "restart", "Popen", "spawn"})


def _local_readiness(loop: cst.For | cst.While) -> bool:
    """A readiness poll or a local restart, where backoff with jitter buys nothing: the loop
    waits for a just-spawned local server or port (`for _ in range(50): try: connect(port)
    ... except OSError: sleep(0.1)`), or restarts and writes to a local child process.
    Jitter spreads many clients' retries over time; one process waiting for its own
    child has no crowd to spread."""
    for node in iter_subtree_no_scopes(loop):
        if isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
            if any(host in node.value for host in _LOOPBACK):
                return True
        elif isinstance(node, (cst.Name, cst.Attribute)):
            name = dotted_name(node)
            if name is None:
                continue
            if words_of([name.rsplit(".", 1)[-1]]) & _READINESS_WORDS:
                return True
            if name.endswith(".stdin"):
                return True
        elif isinstance(node, cst.Call):
            name = dotted_name(node.func) or ""
            if name.rsplit(".", 1)[-1] in _LOCAL_PROCESS_CALLS:
                return True
    return False


def _leaves_loop(small: cst.BaseSmallStatement) -> bool:
    return isinstance(small, (cst.Raise, cst.Return, cst.Break))


def _walk_loop_body(loop: cst.For | cst.While) -> Iterator[cst.CSTNode]:
    """Every node of the loop body (not `else:`), without entering nested scopes."""
    for stmt in block_statements(loop.body):
        yield from iter_subtree_no_scopes(stmt)


def _own_tries(loop: cst.For | cst.While) -> list[cst.Try]:
    """`try` statements of this loop's body, not those of nested loops or functions, nor
    those inside an `except` (a fallback run while handling the failure is not the attempt)."""
    found: list[cst.Try] = []
    stack: list[cst.CSTNode] = list(block_statements(loop.body))
    while stack:
        node = stack.pop()
        if type(node) is cst.Try:
            found.append(node)
        if type(node) in (cst.For, cst.While, cst.FunctionDef, cst.ClassDef):
            continue
        if type(node) is cst.ExceptHandler:
            continue
        if type(node) in _EXPRESSIONS:
            continue
        stack.extend(children(node))
    return found


def _leaves(statements: Sequence[cst.BaseStatement]) -> bool:
    """A `return`, or a `break` of the loop being judged, somewhere in `statements`."""
    return may_leave(statements, lambda node: isinstance(node, cst.Return))


def _always_leaves(attempt: cst.Try) -> bool:
    """Every successful pass through the attempt (body, then `else:`) leaves the loop."""
    succeeded = list(block_statements(attempt.body))
    if attempt.orelse is not None:
        succeeded.extend(block_statements(attempt.orelse.body))
    return always_exits(succeeded, _leaves_loop)


def _block_after(loop: cst.For | cst.While, attempt: cst.Try) -> list[cst.BaseStatement]:
    """The statements after `attempt` in the block that holds it."""
    for node in _walk_loop_body(loop):
        if isinstance(node, cst.IndentedBlock):
            body = list(node.body)
            for index, stmt in enumerate(body):
                if stmt is attempt:
                    return body[index + 1 :]
    body = list(block_statements(loop.body))
    return body[body.index(attempt) + 1 :] if attempt in body else []


def _ends_iteration(small: cst.BaseSmallStatement) -> bool:
    return isinstance(small, (cst.Continue, cst.Raise, cst.Return, cst.Break))


def _exits_on_success(
    loop: cst.For | cst.While, attempt: cst.Try, retrying: Sequence[cst.ExceptHandler]
) -> bool:
    """A successful attempt ends the loop: `return`/`break` in the `try` or its `else:`, or
    after the `try` when every retrying handler `continue`s (so only success gets there)."""
    succeeded = list(block_statements(attempt.body))
    if attempt.orelse is not None:
        succeeded.extend(block_statements(attempt.orelse.body))
    if _leaves(succeeded):
        return True
    if not all(always_exits(block_statements(h.body), _ends_iteration) for h in retrying):
        return False
    return _leaves(_block_after(loop, attempt))


def _caught_names(handler: cst.ExceptHandler, facts: ModuleFacts) -> list[str | None]:
    kind = handler.type
    if kind is None:
        return [None]
    items = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    names: list[str | None] = []
    for item in items:
        qualified = facts.qualified_name(item)
        names.append(None if qualified is None else qualified.removeprefix("builtins."))
    return names


def _retries_transient(handler: cst.ExceptHandler, facts: ModuleFacts) -> bool:
    """The handler catches a service error (or everything), and does not pick OS error codes
    (`e.errno == EAGAIN`: a local condition that is retried at once on purpose)."""
    if any(
        isinstance(n, cst.Attribute) and n.attr.value in {"errno", "winerror"}
        for n in iter_subtree(handler.body)
    ):
        return False
    for name in _caught_names(handler, facts):
        if name is None or name == "socket.error":
            return True
        if _TRANSIENT.search(name.rsplit(".", 1)[-1]):
            return True
    return False


def _names_read(node: cst.CSTNode) -> set[str]:
    return {n.value for n in iter_subtree(node) if isinstance(n, cst.Name)}


def _names_bound(loop: cst.For | cst.While, skip: cst.CSTNode | None = None) -> set[str]:
    """Names (and dotted names) the loop rebinds outside `skip`, its target included."""
    bound: set[str] = set()
    if isinstance(loop, cst.For):
        bound.update(n.value for n in iter_subtree(loop.target) if isinstance(n, cst.Name))
    stack: list[cst.CSTNode] = list(block_statements(loop.body))
    while stack:
        node = stack.pop()
        if node is skip or type(node) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        targets: list[cst.CSTNode] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif (
            type(node) is cst.AnnAssign
            or type(node) is cst.AugAssign
            or type(node) is cst.For
            or type(node) is cst.NamedExpr
        ):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        for target in targets:
            dotted = dotted_name(target) if isinstance(target, cst.BaseExpression) else None
            if dotted is not None:
                bound.add(dotted)
            bound.update(n.value for n in iter_subtree(target) if isinstance(n, cst.Name))
        stack.extend(children(node))
    return bound


def _is_retry_attempt(loop: cst.For | cst.While, attempt: cst.Try, facts: ModuleFacts) -> bool:
    """`attempt` retries the same operation: some transient-error handler keeps the loop
    going, success leaves the loop, and the attempt reads nothing that changes between
    iterations (else each iteration tries a different thing: a port, a mirror, a name)."""
    retrying = [
        h
        for h in attempt.handlers
        if _retries_transient(h, facts) and not always_exits(block_statements(h.body), _leaves_loop)
    ]
    if not retrying or not _exits_on_success(loop, attempt, retrying):
        return False
    calls = [n for n in iter_subtree_no_scopes(attempt.body) if isinstance(n, cst.Call)]
    callees = [facts.qualified_name(c.func) for c in calls]
    if any(c in _INTERACTIVE for c in callees):
        return False
    # Only builtins (`list(shared_set)`): an in-memory race, not a service to wait for.
    if all(c is not None and c in _BUILTINS for c in callees):
        return False
    changing = {n for n in _names_bound(loop, attempt.body) if not RETRY_NAME.search(n.lower())}
    if changing & _names_read(attempt.body) or _carries_state(attempt):
        return False
    if isinstance(loop, cst.For):
        # `for index in range(n): f.seek(index * size); try: ...`: each pass reads elsewhere.
        targets = {
            n.value
            for n in iter_subtree(loop.target)
            if isinstance(n, cst.Name) and not RETRY_NAME.search(n.value.lower())
        }
        skip = set(retrying)
        stack: list[cst.CSTNode] = list(block_statements(loop.body))
        while stack:
            node = stack.pop()
            if node in skip:
                continue
            if isinstance(node, cst.Name) and node.value in targets:
                return False
            stack.extend(children(node))
    return True


def _small_statements(body: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Small statements and compound-statement headers, in source order."""
    for node in iter_subtree_no_scopes(body):
        if isinstance(node, cst.BaseSmallStatement):
            yield node
        elif isinstance(node, (cst.If, cst.While)):
            yield node.test
        elif isinstance(node, cst.For):
            yield node.iter


def _assignment_parts(small: cst.CSTNode) -> tuple[set[str], cst.CSTNode | None]:
    """(names bound, expression read) of one small statement; `x += 1` reads `x` too."""
    targets: list[cst.CSTNode] = []
    value: cst.CSTNode | None = small
    if isinstance(small, cst.Assign):
        targets, value = [t.target for t in small.targets], small.value
    elif isinstance(small, cst.AnnAssign):
        targets, value = [small.target], small.value
    elif isinstance(small, cst.AugAssign):
        targets = [small.target]
    names = {n.value for t in targets for n in iter_subtree(t) if isinstance(n, cst.Name)}
    return names, value


def _carries_state(attempt: cst.Try) -> bool:
    """The attempt reads a name before rebinding it (`query = fix(query)`): each pass feeds
    on the last one (asking a model to repair its output), so it is not the same call."""
    parts = [_assignment_parts(small) for small in _small_statements(attempt.body)]
    bound = {name for names, _ in parts for name in names}
    seen: set[str] = set()
    for names, value in parts:
        if value is not None and (_names_read(value) & bound) - seen:
            return True
        seen |= names
    return False


def _counts_attempts(loop: cst.While) -> bool:
    """`while attempt < n`, `while retries:`, or an `attempts += 1` in the body."""
    if any(
        type(n) is cst.Name and RETRY_COUNTER.search(n.value.lower())
        for n in iter_subtree(loop.test)
    ):
        return True
    for node in _walk_loop_body(loop):
        if type(node) is cst.AugAssign:
            target = dotted_name(node.target) if type(node.target) in _EXPRESSIONS else None
            if target is not None and RETRY_COUNTER.search(target.rsplit(".", 1)[-1].lower()):
                return True
    return False


def _is_retry_loop_header(loop: cst.For | cst.While, facts: ModuleFacts) -> bool:
    """`for _ in range(n)` (not over `len(...)`), `for _ in itertools.count()`, any `while`."""
    if not isinstance(loop, cst.For):
        return True
    iterable = loop.iter
    if type(iterable) is not cst.Call:
        return False
    qualified = facts.qualified_name(iterable.func)
    if qualified == "itertools.count":
        return True
    if qualified != "range":
        return False
    return not any(
        isinstance(n, cst.Call) and facts.qualified_name(n.func) == "len"
        for n in iter_subtree(iterable)
    )


def _sleep_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _delay_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is None and arg.star == "":
            return arg.value
        if arg.keyword is not None and arg.keyword.value in {"seconds", "delay", "secs"}:
            return arg.value
    return None


def _varies(expr: cst.BaseExpression, changing: set[str]) -> bool:
    """The delay can differ between attempts: a call (`random.uniform`, `min(...)`), a power,
    the loop counter, or a name/attribute the loop updates (`delay *= 2`)."""
    for node in iter_subtree(expr):
        if isinstance(node, cst.Call):
            return True
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
            return True
        if isinstance(node, (cst.Name, cst.Attribute)):
            dotted = dotted_name(node)
            if dotted is not None and dotted in changing:
                return True
    return False


def _describe(expr: cst.BaseExpression | None) -> str:
    if expr is None:
        return "0"
    text = cst.Module([]).code_for_node(expr)
    return text if len(text) <= 30 else text[:27] + "..."


class RetryWithoutBackoff(Rule):
    code = "AGT601"
    name = "retry-without-backoff"
    summary = "A retry loop tries again at once, after a constant or unjittered pause, or retries every error around a model call."
    rationale = (
        "Model and tool APIs fail under load (429 rate limits, 5xx, timeouts). Retrying "
        "immediately, or after the same fixed pause, hits the service again while it is "
        "still overloaded: every agent that failed together retries together, the retries "
        "burn the rate limit and the attempts run out in seconds. Exponential backoff with "
        "jitter (`base * 2 ** attempt` plus `random.uniform`, or `tenacity`/`backoff`) spreads "
        "the attempts out and gives the service time to recover. Readiness polls of a "
        "just-spawned local server or port, and restarts of a local child process, are not "
        "flagged: nobody else shares what they wait for."
    )
    flagged: ClassVar[Sequence[Flagged]] = (
        Flagged(
            """
            import time

            def complete(client, messages, max_attempts=3):
                for attempt in range(max_attempts):
                    try:
                        return client.chat.completions.create(messages=messages)
                    except Exception:
                        time.sleep(1)
                raise RuntimeError("model unavailable")
            """,
            line=4,
            message="constant `1`",
        ),
        Flagged(
            """
            import asyncio

            async def call_tool(session, name, args):
                attempt = 0
                while attempt < 5:
                    try:
                        return await session.call_tool(name, args)
                    except ConnectionError:
                        attempt += 1
                        await asyncio.sleep(RETRY_DELAY)
                raise RuntimeError(name)
            """,
            line=5,
            message="constant `RETRY_DELAY`",
        ),
        Flagged(
            """
            def fetch(url):
                for _ in range(5):
                    try:
                        response = requests.get(url, timeout=10)
                        response.raise_for_status()
                        break
                    except requests.RequestException:
                        continue
                return response.json()
            """,
            line=2,
            message="immediately",
        ),
        Flagged(
            """
            def run(agent, task):
                retries = 0
                while True:
                    try:
                        return agent.invoke(task)
                    except TimeoutError:
                        retries += 1
                        if retries >= 3:
                            raise
            """,
            line=3,
        ),
    )
    clean: ClassVar[Sequence[Clean]] = (
        # Readiness polls of a just-spawned local server or port, and restarting a local
        # child process: nobody else shares what they wait for, so jitter spreads nothing.
        Clean(
            """
            import asyncio
            import socket
            import time

            async def wait_for_echo_server(client, port):
                for _ in range(50):
                    try:
                        await client.get(f"http://localhost:{port}/sse", timeout=0.1)
                        break
                    except Exception:
                        await asyncio.sleep(0.1)

            def wait_for_port(host, port):
                for _ in range(50):
                    try:
                        with socket.create_connection((host, port), timeout=0.2):
                            return
                    except OSError:
                        time.sleep(0.1)

            def send_code(self, code, max_retries=3):
                retry_count = 0
                while retry_count <= max_retries:
                    try:
                        self.process.stdin.write(code)
                        break
                    except Exception:
                        self.start_process()
                        retry_count += 1
            """
        ),
        # The same loops with exponential backoff and jitter.
        Clean(
            """
            import random
            import time

            def complete(client, messages, max_attempts=3):
                for attempt in range(max_attempts):
                    try:
                        return client.chat.completions.create(messages=messages)
                    except (RateLimitError, APITimeoutError):
                        time.sleep(2 ** attempt + random.uniform(0, 1))
                raise RuntimeError("model unavailable")
            """
        ),
        Clean(
            """
            import asyncio
            import random

            async def call_tool(session, name, args, base=0.5):
                attempt = 0
                delay = base
                while attempt < 5:
                    try:
                        return await session.call_tool(name, args)
                    except ConnectionError:
                        attempt += 1
                        await asyncio.sleep(delay + random.random())
                        delay *= 2
                raise RuntimeError(name)

            async def call_model(llm, prompt, base=0.5):
                for i in range(4):
                    try:
                        return await llm.ainvoke(prompt)
                    except TimeoutError:
                        await asyncio.sleep(base * 2**i + random.random())
            """
        ),
        # A backoff/tenacity decorator does the waiting.
        Clean(
            """
            import backoff
            from tenacity import retry, stop_after_attempt, wait_exponential

            @backoff.on_exception(backoff.expo, ConnectionError)
            def fetch(url):
                for _ in range(3):
                    try:
                        return get(url)
                    except ConnectionError:
                        continue

            @retry(wait=wait_exponential(), stop=stop_after_attempt(3))
            def fetch_again(url):
                for _ in range(3):
                    try:
                        return get(url)
                    except ConnectionError:
                        pass
            """
        ),
        # Each iteration tries something different (a port, a mirror): a search, not a retry.
        Clean(
            """
            def bind(sock):
                for port in range(8000, 8100):
                    try:
                        sock.bind(("", port))
                        return port
                    except OSError:
                        continue

            def fetch(mirrors):
                for _ in range(len(mirrors)):
                    try:
                        return download(mirrors.pop())
                    except OSError:
                        pass
            """
        ),
        # Asking the model or the user again after a parse error needs no backoff.
        Clean(
            """
            import json

            def ask_json(llm, prompt):
                for _ in range(3):
                    try:
                        return json.loads(llm.invoke(prompt))
                    except json.JSONDecodeError:
                        continue

            def ask_number():
                while True:
                    try:
                        return int(input("number: "))
                    except Exception:
                        print("try again")
            """
        ),
        # Shapes seen in the standard library: an OS condition picked by errno (EAGAIN) and
        # retried at once, an uncounted `while True` pump, a non-service error (a random
        # generator giving up), each pass reading a different record.
        Clean(
            """
            import errno
            import ssl

            def send(sock, data):
                for _ in range(5):
                    try:
                        return sock.send(data)
                    except OSError as err:
                        if err.errno != errno.EAGAIN:
                            raise

            def handshake(sock):
                while True:
                    try:
                        sock.do_handshake()
                        break
                    except OSError:
                        select_ready(sock)

            def generate(tries):
                for try_n in range(tries):
                    try:
                        return build_graph()
                    except GraphUnfeasible:
                        pass

            def interpreter(f, count):
                for index in range(count):
                    f.seek(index * 64)
                    try:
                        return read_header(f)
                    except OSError:
                        continue
            """
        ),
        # A refinement loop (seen in an agent framework): the `try` only guards an event
        # emission, and the loop ends on the model's answer, not on the `try` succeeding.
        Clean(
            """
            def refine(self, plan, max_attempts):
                attempt = 0
                ready = False
                while not ready and attempt < max_attempts:
                    attempt += 1
                    try:
                        self.bus.emit("refining", attempt)
                    except Exception:
                        pass
                    plan, ready = self.llm.refine(plan)
                    if ready:
                        break
                return plan
            """
        ),
        # Shapes seen in LangChain / CrewAI tools: a poll with a fixed interval (it also
        # sleeps when the status call worked), and asking a model to repair its own output.
        Clean(
            """
            import time

            def wait_for_crew(self, kickoff_id):
                for i in range(self.max_polling_time):
                    try:
                        status = self._get_crew_status(kickoff_id)
                        if status["state"] == "success":
                            return status["result"]
                    except Exception as e:
                        if i == self.max_polling_time - 1:
                            return f"Error: {e}"
                    time.sleep(1)

            def fix_query(self, query, error):
                retries = 0
                while retries < self.max_fix_retries:
                    try:
                        query = self.fix_chain.invoke({"query": query, "error": error})
                        return self.validate(query)
                    except Exception as e:
                        retries += 1
                        error = str(e)
            """
        ),
        # An error that ends the loop is not retried; a loop over work items is not a retry.
        Clean(
            """
            def process(jobs):
                for job in jobs:
                    try:
                        job.run()
                    except Exception:
                        continue

            def once(client):
                for _ in range(3):
                    try:
                        return client.ping()
                    except Exception:
                        raise
            """
        ),
    )
    # Retry quality (issue 14): a separate finding kind, see `_retry_quality`.
    rationale += QUALITY_RATIONALE
    flagged = (*flagged, *QUALITY_FLAGGED)
    clean = (*clean, *QUALITY_CLEAN)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, loop: cst.For | cst.While) -> None:
        facts = self.context.facts
        if not _is_retry_loop_header(loop, facts) or self._decorated_with_backoff():
            return
        attempts = [t for t in _own_tries(loop) if _is_retry_attempt(loop, t, facts)]
        if not attempts or _local_readiness(loop):
            return
        changing = _names_bound(loop)
        # `wait_for(...)`/`.wait()` inside the attempt is the operation, not a pause.
        in_attempt = {id(n) for t in attempts for n in iter_subtree_no_scopes(t.body)}
        constant: cst.Call | None = None
        # Sleeps on a path where the attempt succeeded without leaving the loop: a poll
        # interval (`check status; sleep(1)`), not a pause after a failure.
        polls = any(not _always_leaves(t) for t in attempts)
        handler_nodes = {
            id(n) for t in attempts for h in t.handlers for n in iter_subtree_no_scopes(h)
        }
        for node in _walk_loop_body(loop):
            if not isinstance(node, cst.Call):
                continue
            name = (_sleep_name(node) or "").lower()
            if not any(word in name for word in ("sleep", "backoff", "delay")) and (
                "wait" not in name or id(node) in in_attempt
            ):
                continue
            delay = _delay_argument(node)
            if "sleep" not in name or (delay is not None and _varies(delay, changing)):
                return  # a real (or unknown) wait between attempts
            if polls and id(node) not in handler_nodes:
                return
            constant = constant or node
        # An uncounted `while` is judged only when it is an endless retry with a fixed pause;
        # without one it is as likely a reader, a poller or a handshake pump.
        if (
            isinstance(loop, cst.While)
            and not _counts_attempts(loop)
            and (constant is None or not is_constant_true(loop.test))
        ):
            return
        end = loop.iter if isinstance(loop, cst.For) else loop.test
        if constant is not None:
            pause = _describe(_delay_argument(constant))
            message = (
                f"retry loop sleeps a constant `{pause}` between attempts: back off "
                "exponentially with jitter (`base * 2 ** attempt + random.uniform(0, 1)`)"
            )
        else:
            message = (
                "retry loop tries again immediately: back off between attempts "
                "(`time.sleep(base * 2 ** attempt + random.uniform(0, 1))`)"
            )
        self.report(loop, message, end_node=end)

    def _decorated_with_backoff(self) -> bool:
        function = self.context.enclosing_function()
        if function is None:
            return False
        for decorator in function.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            qualified = self.context.qualified_name(target) or ""
            if qualified.startswith(_BACKOFF_DECORATOR_MODULES):
                return True
            if qualified.rsplit(".", 1)[-1] in _BACKOFF_DECORATOR_NAMES:
                return True
        return False

    # Retry quality (issue 14), judged after the backoff check above and only for loops it
    # did not flag: one finding per loop, the more basic problem first.
    def leave_For(self, original_node: cst.For) -> None:
        self._check_quality(original_node)

    def leave_While(self, original_node: cst.While) -> None:
        self._check_quality(original_node)

    def _check_quality(self, loop: cst.For | cst.While) -> None:
        facts = self.context.facts
        if not _is_retry_loop_header(loop, facts) or self._decorated_with_backoff():
            return
        if isinstance(loop, cst.While) and not _counts_attempts(loop):
            return
        if any(r.code == self.code and r.node is loop for r in self.context.reports):
            return
        attempts = [t for t in _own_tries(loop) if _is_retry_attempt(loop, t, facts)]
        if not attempts:
            return
        function = self.context.enclosing_function()
        for node, message in retry_quality_problems(loop, attempts, facts, function):
            self.report(node, message)

    def visit_Call(self, node: cst.Call) -> None:
        message = tenacity_problem(node, self.context.facts)
        if message is not None:
            self.report(node, message)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        message = tenacity_problem(node, self.context.facts)
        if message is not None:
            self.report(node.decorator, message)
