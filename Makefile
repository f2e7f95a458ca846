# The two commands: `make run` serves the site, `make test` runs every check and test.
.PHONY: run test bootstrap services frontend e2e bench

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

bootstrap:
	@bash scripts/bootstrap.sh

services:
	@bash scripts/services.sh up

frontend:
	@cd frontend && npm run build
