-- Functions changed in src/db/functions (npm run db:functions): kpj_for.
CREATE OR REPLACE FUNCTION kpj_for(serial bigint) RETURNS varchar
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
DECLARE
  quasigroup constant smallint[] := ARRAY[
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]];
  body text;
  interim smallint := 0;
BEGIN
  IF serial < 1 OR serial > 9999999999 THEN
    RAISE EXCEPTION 'a KPJ serial is 1 to 9999999999, not %', serial USING ERRCODE = '22003';
  END IF;
  body := lpad(serial::text, 10, '0');
  FOR i IN 1..10 LOOP
    interim := quasigroup[interim + 1][substr(body, i, 1)::smallint + 1];
  END LOOP;
  RETURN body || interim::text;
END
$$;
