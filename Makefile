# The two commands: `make run` serves the site, `make test` runs every check and test.
# `make dev` is `make run` with DEBUG on (tracebacks in the browser): never for a served site.
.PHONY: run dev test bootstrap services frontend e2e bench

run:
	@bash scripts/run.sh

dev:
	@DJANGO_DEBUG=true bash scripts/run.sh

test:
	@bash scripts/test.sh

bootstrap:
	@bash scripts/bootstrap.sh

services:
	@bash scripts/services.sh up

frontend:
	@cd frontend && npm run build
