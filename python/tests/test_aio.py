"""queuednet.aio under plain asyncio.run: the asyncio examples serve the manual's clients,
datagrams arrive in order through `async for`, answers go out through send(), resets and new
connections come through their own iterators, and an idle server sleeps (< 1% CPU)."""

import asyncio
import io
import os
import struct
import subprocess
import time

import pytest

from queuednet.aio import AioManager, ClosedError

from conftest import PYTHON, REPO, child_env, frame2, started

EXAMPLES = REPO / "examples" / "python"


def run_client(script, port, threads):
    return subprocess.run(PYTHON + [str(EXAMPLES / script), "--port", str(port), "--messages", "3",
                                    "--threads", str(threads)],
                          env=child_env(), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("client", ["manual_client.py", "aio_manual_client.py"])
def test_aio_server_serves_the_manuals_client(threads, client):
    server, port = started(PYTHON + [str(EXAMPLES / "aio_manual_server.py"), "--port", "0", "--duration", "30",
                                     "--threads", str(threads)])
    try:
        result = run_client(client, port, threads)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("received 'hello") == 3
        assert "server closed the connection" in result.stdout
        out, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, out
    assert "quit requested by" in out and out.rstrip().endswith("server closed"), out
    assert out.count("broadcast 'hello") == 3


def test_aio_client_talks_to_the_manuals_server(threads):
    server, port = started(PYTHON + [str(EXAMPLES / "manual_server.py"), "--port", "0", "--duration", "30"])
    try:
        result = run_client("aio_manual_client.py", port, threads)
        assert result.returncode == 0, result.stdout + result.stderr
        out, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert out.rstrip().endswith("server closed"), out


def test_datagrams_in_order_echoes_new_connections_and_resets(threads):
    count = 2000

    async def scenario():
        async with AioManager(threads) as net:
            port = net.listen(0).getAddress().getPort()
            reader_stream, writer_stream = await asyncio.open_connection("127.0.0.1", port)
            new = await asyncio.wait_for(anext(net.new_connections()), 20)
            assert new.address.getPort() == writer_stream.get_extra_info("sockname")[1]
            writer_stream.write(b"".join(frame2(struct.pack("<I", i)) for i in range(count)))
            numbers = []

            async def collect():
                async for datagram in net:
                    assert datagram.getConnection() == new.connection
                    numbers.append(struct.unpack("<I", datagram.getMessage())[0])
                    assert net.send(datagram, datagram.getConnection())  # echo
                    if len(numbers) == count:
                        return

            await asyncio.wait_for(collect(), 20)
            assert numbers == list(range(count))
            echoes = await asyncio.wait_for(reader_stream.readexactly(6 * count), 20)
            assert echoes == b"".join(frame2(struct.pack("<I", i)) for i in range(count))

            writer_stream.close()
            lost = await asyncio.wait_for(anext(net.resets()), 20)
            assert lost == new.connection
            assert net.close_connection(lost)

            waiting = asyncio.ensure_future(net.get())
            await asyncio.sleep(0)
            net.close()
            with pytest.raises(ClosedError):
                await waiting
            assert [d async for d in net.datagrams()] == []  # iterators end once closed

    asyncio.run(scenario())


def test_cancelled_get_loses_no_datagram(threads):
    async def scenario():
        async with AioManager(threads) as net:
            port = net.listen(0).getAddress().getPort()
            _, writer_stream = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.wait_for(anext(net.new_connections()), 20)
            first = asyncio.ensure_future(net.get())
            second = asyncio.ensure_future(net.get())
            await asyncio.sleep(0)
            first.cancel()
            writer_stream.write(frame2(b"only"))
            datagram = await asyncio.wait_for(second, 20)
            assert datagram.getMessage() == b"only"
            assert first.cancelled()
            writer_stream.close()

    asyncio.run(scenario())


def idle_cpu_fraction(threads, seconds):
    """CPU time of this process over wall time while an AioManager with a connected, silent
    client waits for datagrams, new connections and resets."""

    async def scenario():
        async with AioManager(threads) as net:
            port = net.listen(0).getAddress().getPort()
            _, writer_stream = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.wait_for(anext(net.new_connections()), 20)
            waits = [asyncio.ensure_future(aw) for aw in (net.get(), anext(net.new_connections()),
                                                          anext(net.resets()))]
            await asyncio.sleep(0.2)  # settle: every wait is registered
            cpu, wall = time.process_time(), time.monotonic()
            await asyncio.sleep(seconds)
            cpu, wall = time.process_time() - cpu, time.monotonic() - wall
            assert not any(w.done() for w in waits)
            writer_stream.close()
            for w in waits:
                w.cancel()
            return cpu / wall

    return asyncio.run(scenario())


def test_idle_server_sleeps(threads):
    seconds = float(os.environ.get("QUEUEDNET_IDLE_SECONDS", "3"))
    fraction = idle_cpu_fraction(threads, seconds)
    print("idle CPU over %.0f s with %d thread(s): %.3f%%" % (seconds, threads, 100 * fraction))
    assert fraction < 0.01


def test_polled_poll_backend_has_no_descriptor():
    async def scenario():
        with pytest.raises(io.UnsupportedOperation, match="poll backend"):
            AioManager(0, "poll")

    asyncio.run(scenario())
