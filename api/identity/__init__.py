"""Who calls the API and what they may do: static tokens and Backstage plugin tokens
become a `Principal`; `policy` decides; `audit` records every decision."""
