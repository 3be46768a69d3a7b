from scs_kaas.cli.app import main

main()
