CREATE TABLE "job_checkpoints" (
	"job" varchar(60),
	"run_key" varchar(40),
	"step" varchar(80),
	"result" jsonb NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	CONSTRAINT "job_checkpoints_pkey" PRIMARY KEY("job","run_key","step")
);
