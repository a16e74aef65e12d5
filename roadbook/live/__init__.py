"""The roadbook's live part: a welcome card on the visitor's page when a gateway reports them
entering a site (visits follower NOTIFY → the worker's listener → the visitor's event stream →
the page's script). docs/live.md."""
