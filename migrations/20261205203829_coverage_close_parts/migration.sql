CREATE TABLE "coverage_close_parts" (
	"month" date,
	"province_code" varchar(2),
	"scope" varchar(16),
	"scope_key" varchar(40),
	"registered" bigint NOT NULL,
	"active" bigint NOT NULL,
	CONSTRAINT "coverage_close_parts_pkey" PRIMARY KEY("month","province_code","scope","scope_key")
);
