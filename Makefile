# pgspace: `make` lists the targets. Needs Docker (with compose v2) and make; nothing else.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

# One compose project per `make test`, so runs never collide: Jenkins' BUILD_TAG
# when set, else a random name drawn once (`:=`). `make test PROJECT=...` overrides.
# Compose wants [a-z0-9_-], so whatever it is gets folded into that.
# A shard (SHARD=2/4) gets its own project, and its own reports/shard-2-of-4/.
SHARD ?=
SHARD_NAME := $(if $(SHARD),shard-$(shell printf '%s' '$(SHARD)' | sed 's|/|-of-|' | tr -c 'A-Za-z0-9_-' '-'))
ifeq ($(origin PROJECT),undefined)
PROJECT := $(or $(BUILD_TAG),pgspace-$(shell od -An -N4 -tx4 /dev/urandom | tr -d ' \n'))$(if $(SHARD),-$(SHARD_NAME))
endif
override PROJECT := $(shell printf '%s' '$(PROJECT)' | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_-' '-')
export CODE_VOLUME := $(PROJECT)_code
COMPOSE := docker compose -p $(PROJECT) -f docker-compose.yml --profile test
# What `make test` leaves out of the copy of the working tree.
COPY_EXCLUDES := --exclude=./.git --exclude=node_modules --exclude=./dist --exclude=./internal/integration/dist --exclude=./coverage \
	--exclude=./reports --exclude=./.env --exclude=./.scratch
# Set by the Jenkinsfile: JUnit XML in ./reports besides the console output.
TEST_REPORTER_ARGS ?=
export TEST_REPORTER_ARGS
# What the test container runs: empty for its own command (the tests); `make load` runs the load instead.
TEST_COMMAND ?=
RUN_NAME ?= test
LOAD_COMMAND := sh -c 'wait-on --timeout 60000 --interval 100 http-get://users:8080/health http-get://trainings:8080/health && npm run load:compose'
export LOAD_SECONDS LOAD_CONNECTIONS
# Where the run's reports land; a shard's never feed another shard's split by accident.
REPORTS := reports$(if $(SHARD),/$(SHARD_NAME))
# Earlier JUnit reports that pack the shards (a file or a directory). None by default (files are
# weighed by size): every shard of one build must be given the same ones, never what a shard wrote.
SHARD_TIMINGS ?=
export SHARD

LOCAL_PORT ?= 55432
LOCAL_COMPOSE := PGSPACE_LOCAL_PORT=$(LOCAL_PORT) docker compose -p pgspace-local -f docker-compose.yml -f docker-compose.local.yml
LOCAL_URL := postgresql://postgres:postgres@127.0.0.1:$(LOCAL_PORT)/postgres
ENV_MARKER := \# written by make local.infra

# `make run`: both services from their production images, with Postgres, published on the host's loopback only.
RUN_TRAININGS_PORT ?= 8080
RUN_USERS_PORT ?= 8081
RUN_COMPOSE := RUN_TRAININGS_PORT=$(RUN_TRAININGS_PORT) RUN_USERS_PORT=$(RUN_USERS_PORT) \
	docker compose -p pgspace-run -f docker-compose.yml -f docker-compose.run.yml --profile test

.PHONY: help test load run down local.infra local.down logs clean

help: ## List the targets
	@grep -E '^[a-z.]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-12s %s\n", $$1, $$2 }'

test: ## Run every test layer in Docker (unit, integration, component, e2e); SHARD=i/n runs one shard; always cleans up
	@echo "make $(RUN_NAME): compose project $(PROJECT)"
	cleanup() {
		$(COMPOSE) down --volumes --remove-orphans --rmi local --timeout 5 >/dev/null 2>&1 || true
		docker rm -f $(PROJECT)-copy $(PROJECT)-tests >/dev/null 2>&1 || true
		docker volume rm -f $(CODE_VOLUME) >/dev/null 2>&1 || true
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	$(COMPOSE) build --quiet
	# The code goes into a volume through a helper container (no bind mount), so
	# this works against a remote daemon too. Mounting the empty volume copies the
	# image's /app (node_modules) into it first.
	docker volume create --label pgspace.checkout="$(CURDIR)" $(CODE_VOLUME) >/dev/null
	docker create --name $(PROJECT)-copy -v $(CODE_VOLUME):/app $(PROJECT)-ci.test >/dev/null
	tar -c -f - $(COPY_EXCLUDES) . | docker cp - $(PROJECT)-copy:/app
	timings=""
	if [ -n "$(SHARD)" ]; then
		# The timings that pack the shards go in beside the code (./reports itself is not copied).
		staged=$$(mktemp -d); mkdir "$$staged/.shard-timings"; n=0
		found=""; if [ -n "$(SHARD_TIMINGS)" ]; then found=$$(find "$(SHARD_TIMINGS)" -name '*.xml' -type f 2>/dev/null || true); fi
		for f in $$found; do n=$$((n + 1)); cp "$$f" "$$staged/.shard-timings/$$n.xml"; done
		if [ $$n -gt 0 ]; then tar -c -f - -C "$$staged" .shard-timings | docker cp - $(PROJECT)-copy:/app; timings=.shard-timings; fi
		rm -rf "$$staged"
	fi
	docker rm $(PROJECT)-copy >/dev/null
	status=0
	SHARD_TIMINGS=$$timings $(COMPOSE) run --name $(PROJECT)-tests ci.test $(TEST_COMMAND) || status=$$?
	# The trace pages (and the JUnit XML when asked for) come out of the container into ./$(REPORTS).
	rm -rf $(REPORTS); mkdir -p $(dir $(REPORTS))
	docker cp $(PROJECT)-tests:/app/reports ./$(REPORTS) >/dev/null 2>&1 || echo "make $(RUN_NAME): the run wrote no reports"
	if [ -e $(REPORTS)/trace/index.html ]; then echo "make $(RUN_NAME): trace of each test: $(REPORTS)/trace/index.html"; fi
	if [ $$status -ne 0 ]; then
		echo "make $(RUN_NAME): failed (exit $$status); the services' last log lines:"
		$(COMPOSE) logs --no-color --tail 30 trainings users || true
	fi
	exit $$status

load: ## Load the trainings API's production image for LOAD_SECONDS (20); fails past test/load/slo.json's objectives
	@$(MAKE) --no-print-directory test RUN_NAME=load REPORTS=reports/load TEST_COMMAND="$(LOAD_COMMAND)"

run: ## Run both services from their production images with postgres:17: trainings on 127.0.0.1:8080, users on :8081; `make down` stops them
	@# Up already: as it is (its one-shot postgres-init would run again, and fail on the roles it made).
	# --wait: back once both answer their health checks (each applied its migrations first), or fails within 120 s.
	if [ -n "$$($(RUN_COMPOSE) ps --quiet --status running trainings 2>/dev/null)" ]; then
		echo "make run: already running; make down first to start again from rebuilt images and empty databases"
	elif ! $(RUN_COMPOSE) up --build --detach --wait --wait-timeout 120 trainings users; then
		$(RUN_COMPOSE) logs --no-color --tail 30 trainings users || true
		echo "make run: the services did not come up (their last log lines above); make down removes what started" >&2
		exit 1
	fi
	echo "make run: trainings http://127.0.0.1:$(RUN_TRAININGS_PORT)  users http://127.0.0.1:$(RUN_USERS_PORT)  (make down stops them)"

down: ## Stop what `make run` started and remove its containers, network, data and images
	@$(RUN_COMPOSE) down --volumes --remove-orphans --rmi local --timeout 5

local.infra: ## Start Postgres alone on 127.0.0.1:55432 (LOCAL_PORT=...) and point host-side `npm test` at it (.env)
	@if [ -z "$$($(LOCAL_COMPOSE) ps --quiet --status running postgres 2>/dev/null)" ]; then
		$(LOCAL_COMPOSE) up --detach --wait postgres
	fi
	if [ ! -e .env ] || [ "$$(head -n 1 .env)" = "$(ENV_MARKER)" ]; then
		printf '%s\n# (make local.down removes this file)\nPGSPACE_ADMIN_URL=%s\n' "$(ENV_MARKER)" "$(LOCAL_URL)" > .env
		echo "Postgres is up on 127.0.0.1:$(LOCAL_PORT); .env points npm test at it."
	else
		echo "Postgres is up. Your .env is your own: add PGSPACE_ADMIN_URL=$(LOCAL_URL) to it."
	fi

local.down: ## Stop the local infrastructure and remove its data and the .env it wrote
	@$(LOCAL_COMPOSE) down --volumes --remove-orphans --timeout 5
	if [ -e .env ] && [ "$$(head -n 1 .env)" = "$(ENV_MARKER)" ]; then rm .env; fi

logs: ## Show the local infrastructure's logs
	@$(LOCAL_COMPOSE) logs --tail 100

clean: ## Remove build output, and anything a killed `make test` of this checkout left in Docker
	@rm -rf dist coverage reports
	for project in $$(docker ps -a --filter label=com.docker.compose.project.working_dir="$(CURDIR)" \
		--format '{{.Label "com.docker.compose.project"}}' | grep -v -e '^pgspace-local$$' -e '^pgspace-run$$' | sort -u); do
		docker compose -p "$$project" -f docker-compose.yml --profile test down --volumes --remove-orphans --rmi local --timeout 5
	done
	docker volume ls -q --filter label=pgspace.checkout="$(CURDIR)" | xargs -r docker volume rm -f
