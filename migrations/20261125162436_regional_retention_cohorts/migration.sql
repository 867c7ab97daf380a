CREATE TABLE "regional_retention_rollups" (
	"cohort_month" date NOT NULL,
	"region_code" varchar(5) NOT NULL,
	"region_level" smallint NOT NULL,
	"months_after" smallint NOT NULL,
	"participants" bigint NOT NULL,
	CONSTRAINT "regional_retention_rollups_key" UNIQUE("region_code","cohort_month","months_after"),
	CONSTRAINT "regional_retention_rollups_level" CHECK ("region_level" in (1, 2)),
	CONSTRAINT "regional_retention_rollups_months_after" CHECK ("months_after" in (0, 1, 3, 6, 12))
);
--> statement-breakpoint
-- Kept by triggers of their own beside the national ones, upserting in key order (the lock order
-- every writer shares, so concurrent settlements queue rather than deadlock).
CREATE FUNCTION participants_regional_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(n.village_code, l.len), wib_month(n.registered_at), 0, l.level, count(*)
  FROM new_rows n CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION participants_regional_retention_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A worker who moves to another regency takes their cohort membership and coverage marks along.
  WITH moved AS (
    SELECT o.id, wib_month(o.registered_at) AS cohort, o.village_code AS o_village, n.village_code AS n_village
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE left(o.village_code, 5) <> left(n.village_code, 5)
  ), marks AS (
    SELECT m.cohort, m.o_village, m.n_village, 0 AS months_after FROM moved m
    UNION ALL
    SELECT m.cohort, m.o_village, m.n_village, month_index(c.month) - month_index(m.cohort)
    FROM moved m JOIN covered_months c ON c.participant_id = m.id
    WHERE month_index(c.month) - month_index(m.cohort) IN (1, 3, 6, 12)
  ), deltas AS (
    SELECT cohort, o_village AS village, months_after, -1 AS delta FROM marks
    UNION ALL
    SELECT cohort, n_village, months_after, 1 FROM marks
  )
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(d.village, l.len), d.cohort, d.months_after, l.level, sum(d.delta)
  FROM deltas d CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  GROUP BY 1, 2, 3, 4
  HAVING sum(d.delta) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION covered_months_regional_retention_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(p.village_code, l.len), wib_month(p.registered_at), month_index(c.month) - month_index(wib_month(p.registered_at)),
         l.level, count(*)
  FROM new_rows c JOIN participants p ON p.id = c.participant_id
  CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  WHERE month_index(c.month) - month_index(wib_month(p.registered_at)) IN (1, 3, 6, 12)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION covered_months_regional_retention_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO regional_retention_rollups AS r (region_code, cohort_month, months_after, region_level, participants)
  SELECT left(p.village_code, l.len), wib_month(p.registered_at), month_index(c.month) - month_index(wib_month(p.registered_at)),
         l.level, -count(*)
  FROM old_rows c JOIN participants p ON p.id = c.participant_id
  CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
  WHERE month_index(c.month) - month_index(wib_month(p.registered_at)) IN (1, 3, 6, 12)
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT regional_retention_rollups_key DO UPDATE SET participants = r.participants + excluded.participants;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER participants_regional_retention_insert AFTER INSERT ON participants
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_regional_retention_after_insert();
--> statement-breakpoint
CREATE TRIGGER participants_regional_retention_update AFTER UPDATE ON participants
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION participants_regional_retention_after_update();
--> statement-breakpoint
CREATE TRIGGER covered_months_regional_retention_insert AFTER INSERT ON covered_months
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION covered_months_regional_retention_after_insert();
--> statement-breakpoint
CREATE TRIGGER covered_months_regional_retention_delete AFTER DELETE ON covered_months
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION covered_months_regional_retention_after_delete();
--> statement-breakpoint
-- Databases that already hold participants start with exact rollups.
INSERT INTO regional_retention_rollups (region_code, cohort_month, months_after, region_level, participants)
SELECT left(p.village_code, l.len), wib_month(p.registered_at), 0, l.level, count(*)
FROM participants p CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len) GROUP BY 1, 2, 3, 4
UNION ALL
SELECT left(p.village_code, l.len), wib_month(p.registered_at), month_index(c.month) - month_index(wib_month(p.registered_at)), l.level, count(*)
FROM covered_months c JOIN participants p ON p.id = c.participant_id CROSS JOIN (VALUES (1, 2), (2, 5)) AS l(level, len)
WHERE month_index(c.month) - month_index(wib_month(p.registered_at)) IN (1, 3, 6, 12)
GROUP BY 1, 2, 3, 4;
