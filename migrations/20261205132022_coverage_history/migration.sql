CREATE TABLE "coverage_history" (
	"month" date,
	"scope" varchar(16),
	"scope_key" varchar(40),
	"revision" smallint,
	"registered" bigint NOT NULL,
	"active" bigint NOT NULL,
	"reconstructed" boolean NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "coverage_history_pkey" PRIMARY KEY("scope","scope_key","month","revision"),
	CONSTRAINT "coverage_history_month" CHECK (extract(day from "month") = 1)
);
