from backcoach.cli.main import main

raise SystemExit(main())
