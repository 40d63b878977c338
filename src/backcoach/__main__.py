from backcoach.cli.main import run

run()
