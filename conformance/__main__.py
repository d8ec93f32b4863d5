from conformance.plugin.cli import main

raise SystemExit(main())
