-- Honour loans made through a platform (Île-de-France's Prêt santé
-- initiative): the intermediary beside the borrower.
ALTER TABLE loans ADD COLUMN intermediary text;
