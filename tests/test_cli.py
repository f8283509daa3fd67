import tapegrad.cli as cli


def test_demo_loss_falls(capsys):
    assert cli.main(["demo", "--steps", "100"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("step")]
    first, last = (float(ln.split("loss")[1].split()[0]) for ln in (lines[0], lines[-1]))
    assert last < 0.5 * first
