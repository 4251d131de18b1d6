"""Running the suite's experiments as jobs of the EBRAINS Neuromorphic Computing Platform
(``bss2 submit``), through the platform's own ``nmpi`` client.

* :mod:`.settings`: access token (environment, config file, nmpi's cache) and service URLs
* :mod:`.job_script`: the entry script a job runs, and what it does on the platform
* :mod:`.jobs`: submit, wait (progress), download, provenance check; local job records
* :mod:`.submission`: the whole flow as two functions, ``submit_experiment`` and ``resume_job``
"""
