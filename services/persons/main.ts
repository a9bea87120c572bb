import { runMain } from '../lib/runtime';
import { personsModule } from './index';

runMain(personsModule);
