-- fold folds accents in every kind of word: also those Postgres' parser
-- reads as letters and digits together ("Québec2026" is a numword,
-- "Café-2030" a numhword of parts). 00001 mapped only word, hword and
-- hword_part through unaccent, so "Québec2026" was indexed with its
-- accent and no query found it ("quebec" folds, the index did not).
-- The stored tsvectors of rows with non-ASCII text are computed again.

-- +goose Up
ALTER TEXT SEARCH CONFIGURATION fold
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH public.unaccent, pg_catalog.simple;
UPDATE events SET name = name WHERE name || venue ~ '[^\x01-\x7e]';
UPDATE sessions SET title = title WHERE title || description ~ '[^\x01-\x7e]';
UPDATE speakers SET name = name WHERE name || company || title || bio ~ '[^\x01-\x7e]';
UPDATE rooms SET name = name WHERE name ~ '[^\x01-\x7e]';
UPDATE tracks SET name = name WHERE name ~ '[^\x01-\x7e]';

-- +goose Down
ALTER TEXT SEARCH CONFIGURATION fold
    ALTER MAPPING FOR numword, numhword, hword_numpart WITH pg_catalog.simple;
